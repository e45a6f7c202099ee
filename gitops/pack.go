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
	"slices"
	"sort"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// packedObject is an object as a pack holds it: its type, size and
// zlib-compressed content, or a delta against the previous version of the
// same directory (see setDelta). A pass keeps its new objects so
// (compressed at zlib's fastest level; a monorepo's large trees, a
// thousand entries that change one at a time, as deltas), and its pack is
// then their concatenation.
type packedObject struct {
	typ  plumbing.ObjectType
	size int64
	// z is the compressed content, or the compressed delta when base is
	// set; zsize is its length uncompressed.
	z     []byte
	zsize int64
	// base is the pending object z is a delta against, zero when z is
	// whole; depth is the number of deltas down to a whole object.
	base  plumbing.Hash
	depth int
}

var zlibWriters = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(io.Discard, zlib.BestSpeed)
	return w
}}

// packBytes compresses data, whole content of type t or a delta.
func packBytes(t plumbing.ObjectType, data []byte) (*packedObject, error) {
	var buf bytes.Buffer
	buf.Grow(len(data)/3 + 64)
	zw := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	n := int64(len(data))
	return &packedObject{typ: t, size: n, z: bytes.Clone(buf.Bytes()), zsize: n}, nil
}

// inflate decompresses p.z: the content, or the delta when p.base is set.
func (p *packedObject) inflate() ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(p.z))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	data := make([]byte, p.zsize)
	if _, err := io.ReadFull(zr, data); err != nil {
		return nil, fmt.Errorf("read a new object: %w", err)
	}
	return data, nil
}

// encodePack writes objects as a version 2 packfile: each object whole,
// or as a REF delta against an object of the same pack (never a thin
// pack), written after its base.
//
// The objects are written by depth, then in hash order, so the same
// objects make the same pack. The pack's index ([encodeIndex], as for a fetched pack) comes
// with it: written next to the pack, it spares parsing the pack again to
// index it.
func encodePack(objects map[plumbing.Hash]*packedObject) ([]byte, []byte, error) {
	hashes := make([]plumbing.Hash, 0, len(objects))
	total := 32
	for h, o := range objects {
		hashes = append(hashes, h)
		total += len(o.z) + 10
	}
	sort.Slice(hashes, func(i, j int) bool {
		if di, dj := objects[hashes[i]].depth, objects[hashes[j]].depth; di != dj {
			return di < dj
		}
		return bytes.Compare(hashes[i][:], hashes[j][:]) < 0
	})

	buf := bytes.NewBuffer(make([]byte, 0, total))
	buf.WriteString("PACK")
	_ = binary.Write(buf, binary.BigEndian, uint32(2))
	_ = binary.Write(buf, binary.BigEndian, uint32(len(hashes)))
	entries := make([]indexedEntry, len(hashes))
	for i, h := range hashes {
		o := objects[h]
		pos := buf.Len()
		if o.base.IsZero() {
			buf.Write(packEntryHeader(o.typ, o.size))
		} else {
			buf.Write(packEntryHeader(plumbing.REFDeltaObject, o.zsize))
			buf.Write(o.base[:])
		}
		buf.Write(o.z)
		entries[i] = indexedEntry{hash: h, off: int64(pos), crc: crc32.ChecksumIEEE(buf.Bytes()[pos:])}
	}
	sum := sha1.Sum(buf.Bytes())
	buf.Write(sum[:])
	slices.SortFunc(entries, func(a, b indexedEntry) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	var idx bytes.Buffer
	idx.Grow(idxHeaderSize + idxFanoutSize + len(entries)*28 + 40)
	if err := encodeIndex(&idx, entries, plumbing.Hash(sum)); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), idx.Bytes(), nil
}

// writePack writes pack and its index into the objects/pack directory of
// the bare repository dir, as git names them (by the pack's checksum, its last 20
// bytes): each to a temporary file first, the
// index last, so that a pack is never seen without its index.
func writePack(dir string, pack, idx []byte) error {
	name := packName(dir, pack)
	if err := writeFileAtomic(name+".pack", pack); err != nil {
		return err
	}
	return writeFileAtomic(name+".idx", idx)
}

// packName is the path of pack in the repository at dir, without its
// extension: named by its checksum, as git names packs.
func packName(dir string, pack []byte) string {
	return filepath.Join(dir, "objects", "pack", "pack-"+hex.EncodeToString(pack[len(pack)-20:]))
}

// writeFileAtomic writes data to a temporary file next to path, syncs it
// and renames it into place, read-only as git's pack files are.
func writeFileAtomic(path string, data []byte) error {
	return writeFileAtomicFunc(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeFileAtomicFunc is [writeFileAtomic] of what write writes.
func writeFileAtomicFunc(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-pack-")
	if err != nil {
		return err
	}
	err = write(tmp)
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
