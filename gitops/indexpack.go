package gitops

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// indexedEntry is what indexing a pack keeps of each of its entries: 40
// bytes (TestIndexedEntrySize), where go-git's parser keeps a few hundred,
// and no content. Over a long history these are most of the memory a
// clone takes: 1.2 million objects for 200,000 commits.
type indexedEntry struct {
	hash plumbing.Hash // zero for a delta until it is resolved
	crc  uint32
	off  int64
	// base is a delta's base: for an OFS_DELTA the index of the entry it
	// is based on, for a REF_DELTA the index of its base's name in refs.
	base int32
	typ  plumbing.ObjectType
}

// indexPack reads the pack at path, checks its checksum and works out
// every object's name (rebuilding deltas from their bases, each base
// inflated once). It returns the pack's entries sorted by name, for
// [encodeIndex] to write the version 2 index git index-pack writes, the
// pack's checksum, and release, which frees the entries (see
// [entryArray]): they are not used after it. A delta whose base is not in
// the pack (a thin pack) is rebuilt from the base external returns.
func indexPack(path string, external func(plumbing.Hash) (plumbing.ObjectType, []byte, error)) (entries []indexedEntry, sum plumbing.Hash, release func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, plumbing.ZeroHash, nil, err
	}
	defer f.Close()
	entries, refs, sum, release, err := scanPack(f, path)
	if err != nil {
		return nil, sum, nil, err
	}
	p := &packFile{path: path, f: f}
	if err := resolveDeltas(p, entries, refs, external); err != nil {
		release()
		return nil, sum, nil, err
	}
	slices.SortFunc(entries, func(a, b indexedEntry) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	return entries, sum, release, nil
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
// checksum. release frees the entries ([entryArray]).
func scanPack(f *os.File, path string) (_ []indexedEntry, _ []plumbing.Hash, _ plumbing.Hash, release func(), err error) {
	bad := func(off int64, format string, args ...any) error {
		return fmt.Errorf("%w: %s at offset %d: %s", packfile.ErrMalformedPackFile, filepath.Base(path), off, fmt.Sprintf(format, args...))
	}
	c := &countingReader{r: bufio.NewReaderSize(f, 64<<10)}
	var head [12]byte
	if _, err := io.ReadFull(c, head[:]); err != nil || !bytes.Equal(head[:4], []byte("PACK")) {
		return nil, nil, plumbing.ZeroHash, nil, bad(0, "not a pack")
	}
	if v := binary.BigEndian.Uint32(head[4:]); v != 2 && v != 3 {
		return nil, nil, plumbing.ZeroHash, nil, bad(4, "version %d", v)
	}
	count := binary.BigEndian.Uint32(head[8:])
	// The header's count is not trusted with memory: an entry takes more
	// than 3 bytes (a header byte and a zlib stream of at least 7), so the
	// file's size bounds how many it holds.
	capacity := int64(count)
	if st, err := f.Stat(); err == nil {
		capacity = min(capacity, st.Size()/3)
	}
	entries, free := entryArray(int(capacity))
	defer func() {
		if err != nil {
			free()
		}
	}()
	var refs []plumbing.Hash
	var zr io.ReadCloser
	buf := make([]byte, 32<<10)
	for range count {
		off := c.n
		h, err := readEntryHeader(c, off, bad)
		if err != nil {
			return nil, nil, plumbing.ZeroHash, nil, err
		}
		e := indexedEntry{off: off, typ: h.typ, base: -1}
		size := h.size
		switch e.typ {
		case plumbing.OFSDeltaObject:
			// Entries are in offset order: the base is one before.
			i, ok := slices.BinarySearchFunc(entries, h.baseOff, func(e indexedEntry, off int64) int { return cmp.Compare(e.off, off) })
			if !ok {
				return nil, nil, plumbing.ZeroHash, nil, bad(off, "delta base offset %d is not an entry", h.baseOff)
			}
			e.base = int32(i)
		case plumbing.REFDeltaObject:
			e.base = int32(len(refs))
			refs = append(refs, h.baseRef)
		}
		if zr == nil {
			zr, err = zlib.NewReader(c)
		} else {
			err = zr.(zlib.Resetter).Reset(c, nil)
		}
		if err != nil {
			return nil, nil, plumbing.ZeroHash, nil, bad(e.off, "%v", err)
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
			return nil, nil, plumbing.ZeroHash, nil, bad(e.off, "inflate: %d bytes of %d: %v", n, size, err)
		}
		if whole {
			e.hash = named.Sum()
		}
		entries = append(entries, e)
	}
	end := c.n
	var trailer plumbing.Hash
	if _, err := io.ReadFull(c, trailer[:]); err != nil {
		return nil, nil, plumbing.ZeroHash, nil, bad(end, "no checksum")
	}
	if _, err := c.ReadByte(); err == nil {
		return nil, nil, plumbing.ZeroHash, nil, bad(c.n, "data after the checksum")
	}
	sum, err := checksumPack(f, entries, end)
	if err != nil {
		return nil, nil, sum, nil, err
	}
	if sum != trailer {
		return nil, nil, sum, nil, bad(end, "checksum mismatch (truncated or overwritten)")
	}
	return entries, refs, sum, free, nil
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
	// Deltas by base: offset deltas by their base's index, reference
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
	slices.SortFunc(byOff, func(a, b int32) int { return cmp.Compare(entries[a].base, entries[b].base) })
	slices.SortFunc(byRef, func(a, b int32) int {
		return bytes.Compare(refs[entries[a].base][:], refs[entries[b].base][:])
	})
	// offChildren and refChildren are where the deltas based on the entry
	// at index (-1 for none: a base outside the pack) named name start.
	offChildren := func(index int32) int {
		lo, _ := slices.BinarySearchFunc(byOff, index, func(i, index int32) int { return cmp.Compare(entries[i].base, index) })
		return lo
	}
	refChildren := func(name plumbing.Hash) int {
		lo, _ := slices.BinarySearchFunc(byRef, name, func(i int32, h plumbing.Hash) int { return bytes.Compare(refs[entries[i].base][:], h[:]) })
		return lo
	}
	children := func(index int32, name plumbing.Hash, fn func(i int32) error) error {
		if index >= 0 {
			for lo := offChildren(index); lo < len(byOff) && entries[byOff[lo]].base == index; lo++ {
				if err := fn(byOff[lo]); err != nil {
					return err
				}
			}
		}
		for lo := refChildren(name); lo < len(byRef) && refs[entries[byRef[lo]].base] == name; lo++ {
			if err := fn(byRef[lo]); err != nil {
				return err
			}
		}
		return nil
	}
	errFound := errors.New("found")
	hasChildren := func(index int32, name plumbing.Hash) bool {
		return children(index, name, func(int32) error { return errFound }) == errFound
	}
	resolved := 0
	// descend resolves the deltas based on the object at index (or outside
	// the pack) named name, depth deltas down a chain: no deeper than a
	// chain the object store reads.
	var descend func(index int32, name plumbing.Hash, typ plumbing.ObjectType, data []byte, depth int) error
	descend = func(index int32, name plumbing.Hash, typ plumbing.ObjectType, data []byte, depth int) error {
		return children(index, name, func(i int32) error {
			e := &entries[i]
			if !e.hash.IsZero() {
				// Resolved already: a reference delta based on a name
				// that two objects of the pack have (a delta whose result
				// is its own base would otherwise recurse for ever).
				return nil
			}
			if depth == maxDeltaChain {
				return p.malformed(e.off, "a delta chain longer than %d", maxDeltaChain)
			}
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
			return descend(i, e.hash, typ, out, depth+1)
		})
	}
	for i, e := range entries {
		if e.typ == plumbing.OFSDeltaObject || e.typ == plumbing.REFDeltaObject {
			continue
		}
		if !hasChildren(int32(i), e.hash) {
			continue
		}
		data, err := p.inflateAt(e.off)
		if err != nil {
			return err
		}
		if err := descend(int32(i), e.hash, e.typ, data, 0); err != nil {
			return err
		}
	}
	// What is left is based on objects outside the pack (a thin pack).
	for _, i := range byRef {
		e := entries[i]
		if !e.hash.IsZero() {
			continue
		}
		base := refs[e.base]
		typ, data, err := external(base)
		if err != nil {
			return p.malformed(e.off, "delta base %s: %v", base, err)
		}
		// Resolve every delta based on it, then skip them.
		if err := descend(-1, base, typ, data, 0); err != nil {
			return err
		}
	}
	if resolved != len(byOff)+len(byRef) {
		return p.malformed(0, "%d deltas of %d have no base", len(byOff)+len(byRef)-resolved, len(byOff)+len(byRef))
	}
	return nil
}

// encodeIndex writes the version 2 index of entries, sorted by name, to w
// as it goes: the index of a long history is tens of megabytes (28 bytes
// an object), not held in memory next to the entries.
func encodeIndex(w io.Writer, entries []indexedEntry, packSum plumbing.Hash) error {
	sum := sha1.New()
	out := bufio.NewWriterSize(io.MultiWriter(w, sum), 64<<10)
	var b [8]byte
	be := binary.BigEndian
	out.Write(idxMagic)
	var fanout [256]uint32
	for _, e := range entries {
		fanout[e.hash[0]]++
	}
	var total uint32
	for _, c := range fanout {
		total += c
		out.Write(be.AppendUint32(b[:0], total))
	}
	for _, e := range entries {
		out.Write(e.hash[:])
	}
	for _, e := range entries {
		out.Write(be.AppendUint32(b[:0], e.crc))
	}
	var large uint32
	for _, e := range entries {
		if e.off < idxLargeOffset {
			out.Write(be.AppendUint32(b[:0], uint32(e.off)))
			continue
		}
		out.Write(be.AppendUint32(b[:0], idxLargeOffset|large))
		large++
	}
	for _, e := range entries {
		if e.off >= idxLargeOffset {
			out.Write(be.AppendUint64(b[:0], uint64(e.off)))
		}
	}
	out.Write(packSum[:])
	if err := out.Flush(); err != nil {
		return err
	}
	_, err := w.Write(sum.Sum(nil))
	return err
}
