package gitops

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// indexedEntry is what indexing a pack keeps of each of its entries: a
// few dozen bytes, where go-git's parser keeps a few hundred, and no
// content.
type indexedEntry struct {
	hash    plumbing.Hash // zero for a delta until it is resolved
	off     int64
	baseOff int64 // of an OFS_DELTA
	crc     uint32
	typ     plumbing.ObjectType
	ref     int32 // of a REF_DELTA: its base's index in refs
}

// indexPack reads the pack at path, checks its checksum, works out every
// object's name (rebuilding deltas from their bases, each base inflated
// once) and returns its version 2 index, byte for byte what git
// index-pack writes, and the pack's checksum. A delta whose base is not in
// the pack (a thin pack) is rebuilt from the base external returns.
func indexPack(path string, external func(plumbing.Hash) (plumbing.ObjectType, []byte, error)) ([]byte, plumbing.Hash, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, plumbing.ZeroHash, err
	}
	defer f.Close()
	entries, refs, sum, err := scanPack(f, path)
	if err != nil {
		return nil, sum, err
	}
	p := &packFile{path: path, f: f}
	if err := resolveDeltas(p, entries, refs, external); err != nil {
		return nil, sum, err
	}
	slices.SortFunc(entries, func(a, b indexedEntry) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	return encodeIndex(entries, sum), sum, nil
}

// countingReader reads a pack in order and counts the bytes read: as a
// byte reader, zlib reads no further than its stream, so the count is the
// next entry's offset.
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// scanPack reads the pack's entries in order: each one's offset, CRC,
// type, base, and the name of each whole object; then checks the pack's
// checksum.
func scanPack(f *os.File, path string) ([]indexedEntry, []plumbing.Hash, plumbing.Hash, error) {
	bad := func(off int64, format string, args ...any) error {
		return fmt.Errorf("%w: %s at offset %d: %s", packfile.ErrMalformedPackFile, filepath.Base(path), off, fmt.Sprintf(format, args...))
	}
	c := &countingReader{r: bufio.NewReaderSize(f, 64<<10)}
	var head [12]byte
	if _, err := io.ReadFull(c, head[:]); err != nil || !bytes.Equal(head[:4], []byte("PACK")) {
		return nil, nil, plumbing.ZeroHash, bad(0, "not a pack")
	}
	if v := binary.BigEndian.Uint32(head[4:]); v != 2 && v != 3 {
		return nil, nil, plumbing.ZeroHash, bad(4, "version %d", v)
	}
	count := binary.BigEndian.Uint32(head[8:])
	entries := make([]indexedEntry, 0, count)
	var refs []plumbing.Hash
	var zr io.ReadCloser
	buf := make([]byte, 32<<10)
	for range count {
		off := c.n
		h, err := readEntryHeader(c, off, bad)
		if err != nil {
			return nil, nil, plumbing.ZeroHash, err
		}
		e := indexedEntry{off: off, baseOff: h.baseOff, typ: h.typ, ref: -1}
		size := h.size
		if e.typ == plumbing.REFDeltaObject {
			e.ref = int32(len(refs))
			refs = append(refs, h.baseRef)
		}
		if zr == nil {
			zr, err = zlib.NewReader(c)
		} else {
			err = zr.(zlib.Resetter).Reset(c, nil)
		}
		if err != nil {
			return nil, nil, plumbing.ZeroHash, bad(e.off, "%v", err)
		}
		whole := e.typ != plumbing.OFSDeltaObject && e.typ != plumbing.REFDeltaObject
		var dst io.Writer = io.Discard
		var named plumbing.Hasher
		if whole {
			named = plumbing.NewHasher(e.typ, size)
			dst = named
		}
		n, err := io.CopyBuffer(dst, zr, buf)
		if err != nil || n != size {
			return nil, nil, plumbing.ZeroHash, bad(e.off, "inflate: %d bytes of %d: %v", n, size, err)
		}
		if whole {
			e.hash = named.Sum()
		}
		entries = append(entries, e)
	}
	end := c.n
	var trailer plumbing.Hash
	if _, err := io.ReadFull(c, trailer[:]); err != nil {
		return nil, nil, plumbing.ZeroHash, bad(end, "no checksum")
	}
	if _, err := c.ReadByte(); err == nil {
		return nil, nil, plumbing.ZeroHash, bad(c.n, "data after the checksum")
	}
	sum, err := checksumPack(f, entries, end)
	if err != nil {
		return nil, nil, sum, err
	}
	if sum != trailer {
		return nil, nil, sum, bad(end, "checksum mismatch (truncated or overwritten)")
	}
	return entries, refs, sum, nil
}

// checksumPack reads the pack again, in order: its SHA-1 up to end, and
// each entry's CRC-32 (of its bytes in the pack, as the index records).
func checksumPack(f *os.File, entries []indexedEntry, end int64) (plumbing.Hash, error) {
	sum := sha1.New()
	r := io.TeeReader(bufio.NewReaderSize(io.NewSectionReader(f, 0, end), 64<<10), sum)
	pos := int64(0)
	for i := range entries {
		if _, err := io.CopyN(io.Discard, r, entries[i].off-pos); err != nil {
			return plumbing.ZeroHash, err
		}
		stop := end
		if i+1 < len(entries) {
			stop = entries[i+1].off
		}
		crc := crc32.NewIEEE()
		if _, err := io.CopyN(crc, r, stop-entries[i].off); err != nil {
			return plumbing.ZeroHash, err
		}
		entries[i].crc, pos = crc.Sum32(), stop
	}
	if _, err := io.CopyN(io.Discard, r, end-pos); err != nil {
		return plumbing.ZeroHash, err
	}
	var h plumbing.Hash
	copy(h[:], sum.Sum(nil))
	return h, nil
}

// resolveDeltas names every delta: from each whole object, down the tree
// of the deltas based on it, each base inflated once and kept only while
// its children are rebuilt.
func resolveDeltas(p *packFile, entries []indexedEntry, refs []plumbing.Hash, external func(plumbing.Hash) (plumbing.ObjectType, []byte, error)) error {
	// Deltas by base: offset deltas by their base's offset, reference
	// deltas by their base's name.
	var byOff, byRef []int32
	for i, e := range entries {
		switch e.typ {
		case plumbing.OFSDeltaObject:
			byOff = append(byOff, int32(i))
		case plumbing.REFDeltaObject:
			byRef = append(byRef, int32(i))
		}
	}
	if len(byOff)+len(byRef) == 0 {
		return nil
	}
	slices.SortFunc(byOff, func(a, b int32) int { return cmpInt64(entries[a].baseOff, entries[b].baseOff) })
	slices.SortFunc(byRef, func(a, b int32) int {
		return bytes.Compare(refs[entries[a].ref][:], refs[entries[b].ref][:])
	})
	children := func(base indexedEntry, fn func(i int32) error) error {
		lo, _ := slices.BinarySearchFunc(byOff, base.off, func(i int32, off int64) int { return cmpInt64(entries[i].baseOff, off) })
		for ; lo < len(byOff) && entries[byOff[lo]].baseOff == base.off; lo++ {
			if err := fn(byOff[lo]); err != nil {
				return err
			}
		}
		lo, _ = slices.BinarySearchFunc(byRef, base.hash, func(i int32, h plumbing.Hash) int { return bytes.Compare(refs[entries[i].ref][:], h[:]) })
		for ; lo < len(byRef) && refs[entries[byRef[lo]].ref] == base.hash; lo++ {
			if err := fn(byRef[lo]); err != nil {
				return err
			}
		}
		return nil
	}
	resolved := 0
	var descend func(base indexedEntry, typ plumbing.ObjectType, data []byte) error
	descend = func(base indexedEntry, typ plumbing.ObjectType, data []byte) error {
		return children(base, func(i int32) error {
			e := &entries[i]
			delta, err := p.inflateAt(e.off)
			if err != nil {
				return err
			}
			out, err := packfile.PatchDelta(data, delta)
			if err != nil {
				return p.malformed(e.off, "%v", err)
			}
			e.hash = plumbing.ComputeHash(typ, out)
			resolved++
			return descend(*e, typ, out)
		})
	}
	for _, e := range entries {
		if e.typ == plumbing.OFSDeltaObject || e.typ == plumbing.REFDeltaObject {
			continue
		}
		if !hasChildren(e, entries, byOff, byRef, refs) {
			continue
		}
		data, err := p.inflateAt(e.off)
		if err != nil {
			return err
		}
		if err := descend(e, e.typ, data); err != nil {
			return err
		}
	}
	// What is left is based on objects outside the pack (a thin pack).
	for _, i := range byRef {
		e := entries[i]
		if !e.hash.IsZero() {
			continue
		}
		base := refs[e.ref]
		typ, data, err := external(base)
		if err != nil {
			return p.malformed(e.off, "delta base %s: %v", base, err)
		}
		// Resolve every delta based on it, then skip them.
		if err := descend(indexedEntry{hash: base, off: -1}, typ, data); err != nil {
			return err
		}
	}
	if resolved != len(byOff)+len(byRef) {
		return p.malformed(0, "%d deltas of %d have no base", len(byOff)+len(byRef)-resolved, len(byOff)+len(byRef))
	}
	return nil
}

func hasChildren(e indexedEntry, entries []indexedEntry, byOff, byRef []int32, refs []plumbing.Hash) bool {
	_, ok := slices.BinarySearchFunc(byOff, e.off, func(i int32, off int64) int { return cmpInt64(entries[i].baseOff, off) })
	if ok {
		return true
	}
	_, ok = slices.BinarySearchFunc(byRef, e.hash, func(i int32, h plumbing.Hash) int { return bytes.Compare(refs[entries[i].ref][:], h[:]) })
	return ok
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// encodeIndex writes the version 2 index of entries, sorted by name.
func encodeIndex(entries []indexedEntry, packSum plumbing.Hash) []byte {
	n := len(entries)
	var large []int64
	out := bytes.NewBuffer(make([]byte, 0, idxHeaderSize+idxFanoutSize+n*28+40))
	out.Write(idxMagic)
	var fanout [256]uint32
	for _, e := range entries {
		fanout[e.hash[0]]++
	}
	var total uint32
	for _, c := range fanout {
		total += c
		_ = binary.Write(out, binary.BigEndian, total)
	}
	for _, e := range entries {
		out.Write(e.hash[:])
	}
	for _, e := range entries {
		_ = binary.Write(out, binary.BigEndian, e.crc)
	}
	for _, e := range entries {
		if e.off < idxLargeOffset {
			_ = binary.Write(out, binary.BigEndian, uint32(e.off))
			continue
		}
		_ = binary.Write(out, binary.BigEndian, uint32(idxLargeOffset|len(large)))
		large = append(large, e.off)
	}
	for _, off := range large {
		_ = binary.Write(out, binary.BigEndian, uint64(off))
	}
	out.Write(packSum[:])
	sum := sha1.Sum(out.Bytes())
	out.Write(sum[:])
	return out.Bytes()
}
