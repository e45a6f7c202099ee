package gitops

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// encodePack writes objects as a version 2 packfile, each object whole (no
// deltas) and compressed for speed: a pass's objects are what a push sends
// and then keeps, written once and read rarely, and most of their bytes
// are the large trees of a monorepo that a fast compression shrinks
// nearly as well as the default one.
//
// The objects are written in hash order, so the same objects make the
// same pack. The pack's index comes with it: written next to the pack, it
// spares parsing the pack again to index it.
func encodePack(objects map[plumbing.Hash]plumbing.EncodedObject) ([]byte, *idxfile.MemoryIndex, error) {
	hashes := make([]plumbing.Hash, 0, len(objects))
	for h := range objects {
		hashes = append(hashes, h)
	}
	sort.Slice(hashes, func(i, j int) bool { return bytes.Compare(hashes[i][:], hashes[j][:]) < 0 })

	var buf bytes.Buffer
	buf.WriteString("PACK")
	_ = binary.Write(&buf, binary.BigEndian, uint32(2))
	_ = binary.Write(&buf, binary.BigEndian, uint32(len(hashes)))
	idx := new(idxfile.Writer)
	_ = idx.OnHeader(uint32(len(hashes)))
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestSpeed)
	for _, h := range hashes {
		o := objects[h]
		pos := buf.Len()
		buf.Write(packEntryHeader(o.Type(), o.Size()))
		r, err := o.Reader()
		if err != nil {
			return nil, nil, fmt.Errorf("pack object %s: %w", h, err)
		}
		zw.Reset(&buf)
		_, err = io.Copy(zw, r)
		r.Close()
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			return nil, nil, fmt.Errorf("pack object %s: %w", h, err)
		}
		idx.Add(h, uint64(pos), crc32.ChecksumIEEE(buf.Bytes()[pos:]))
	}
	sum := sha1.Sum(buf.Bytes())
	buf.Write(sum[:])
	var packHash plumbing.Hash
	copy(packHash[:], sum[:])
	if err := idx.OnFooter(packHash); err != nil {
		return nil, nil, err
	}
	index, err := idx.Index()
	if err != nil {
		return nil, nil, fmt.Errorf("index the pack: %w", err)
	}
	return buf.Bytes(), index, nil
}

// writePack writes pack and its index into the objects/pack directory of
// the bare repository dir, as git names them (by the pack's checksum): each
// to a temporary file first, the index last, so that a pack is never seen
// without its index.
func writePack(dir string, pack []byte, idx *idxfile.MemoryIndex) error {
	name := filepath.Join(dir, "objects", "pack", "pack-"+hex.EncodeToString(idx.PackfileChecksum[:]))
	var idxBuf bytes.Buffer
	if _, err := idxfile.NewEncoder(&idxBuf).Encode(idx); err != nil {
		return fmt.Errorf("encode the pack index: %w", err)
	}
	for _, f := range []struct {
		path string
		data []byte
	}{{name + ".pack", pack}, {name + ".idx", idxBuf.Bytes()}} {
		if err := writeFileAtomic(f.path, f.data); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic writes data to a temporary file next to path, syncs it
// and renames it into place, read-only as git's pack files are.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-pack-")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o444)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
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
