package gitops

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"io"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
)

// encodePack writes objects as a version 2 packfile, each object whole (no
// deltas) and compressed for speed: a pass's objects are what a push sends
// and then keeps, written once and read rarely, and most of their bytes
// are the large trees of a monorepo that a fast compression shrinks
// nearly as well as the default one.
//
// The objects are written in hash order, so the same objects make the
// same pack.
func encodePack(objects map[plumbing.Hash]plumbing.EncodedObject) ([]byte, error) {
	hashes := make([]plumbing.Hash, 0, len(objects))
	for h := range objects {
		hashes = append(hashes, h)
	}
	sort.Slice(hashes, func(i, j int) bool { return bytes.Compare(hashes[i][:], hashes[j][:]) < 0 })

	var buf bytes.Buffer
	buf.WriteString("PACK")
	_ = binary.Write(&buf, binary.BigEndian, uint32(2))
	_ = binary.Write(&buf, binary.BigEndian, uint32(len(hashes)))
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestSpeed)
	for _, h := range hashes {
		o := objects[h]
		buf.Write(packEntryHeader(o.Type(), o.Size()))
		r, err := o.Reader()
		if err != nil {
			return nil, fmt.Errorf("pack object %s: %w", h, err)
		}
		zw.Reset(&buf)
		_, err = io.Copy(zw, r)
		r.Close()
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			return nil, fmt.Errorf("pack object %s: %w", h, err)
		}
	}
	sum := sha1.Sum(buf.Bytes())
	buf.Write(sum[:])
	return buf.Bytes(), nil
}

// packEntryHeader is an object's header in a pack: its type and size, the
// size in little-endian groups of 7 bits after the first 4.
func packEntryHeader(t plumbing.ObjectType, size int64) []byte {
	c := byte(t)<<4 | byte(size&0x0f)
	size >>= 4
	var out []byte
	for size > 0 {
		out = append(out, c|0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	return append(out, c)
}
