package gitops

import (
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// packFile is a pack on disk with its index: objects are read by offset,
// through a few windows of the pack read with pread, whole or rebuilt
// from their delta chain, and nothing else of the pack is loaded.
type packFile struct {
	idx  *packIndex
	path string
	size int64        // of the pack file
	f    *os.File     // opened at the first read
	win  *windowCache // shared by the packs of a store
}

// maxDeltaChain bounds a delta chain (git's own default depth is 50, its
// --aggressive one 250): a longer one is a damaged pack looping on itself.
const maxDeltaChain = 10_000

// packEntry is an entry's header: its type, its inflated size, where its
// compressed data starts, and the base of a delta.
type packEntry struct {
	typ     plumbing.ObjectType
	size    int64
	data    int64         // offset of the zlib stream
	baseOff int64         // of an OFS_DELTA, in the same pack
	baseRef plumbing.Hash // of a REF_DELTA
}

func (p *packFile) file() (*os.File, error) {
	if p.f == nil {
		f, err := os.Open(p.path)
		if err != nil {
			return nil, err
		}
		p.f = f
	}
	return p.f, nil
}

func (p *packFile) malformed(off int64, format string, args ...any) error {
	return fmt.Errorf("%w: %s at offset %d: %s", packfile.ErrMalformedPackFile, filepath.Base(p.path), off, fmt.Sprintf(format, args...))
}

// entry reads the header of the entry at off.
func (p *packFile) entry(off int64) (packEntry, error) {
	r := p.stream(off)
	e, err := readEntryHeader(r, off, p.malformed)
	e.data = r.pos
	return e, err
}

// stream reads p in order from off, through its windows.
func (p *packFile) stream(off int64) *packStream {
	if p.win == nil {
		p.win = new(windowCache)
	}
	return &packStream{c: p.win, p: p, pos: off}
}

// headerReader is what an entry's header is read from: a pack in order
// (indexing it), or the bytes at an entry's offset (reading one object).
type headerReader interface {
	io.ByteReader
	io.Reader
}

// readEntryHeader decodes the header of the pack entry at off from r: its
// type, its inflated size and a delta's base (all but data). malformed
// makes the error of a header that is not one.
func readEntryHeader(r headerReader, off int64, malformed func(off int64, format string, args ...any) error) (packEntry, error) {
	c, err := r.ReadByte()
	if err != nil {
		return packEntry{}, malformed(off, "truncated header")
	}
	e := packEntry{typ: plumbing.ObjectType((c >> 4) & 7), size: int64(c & 0x0f)}
	for shift := 4; c&0x80 != 0; shift += 7 {
		if c, err = r.ReadByte(); err != nil {
			return e, malformed(off, "truncated header")
		}
		if shift > 56 {
			return e, malformed(off, "object size overflows")
		}
		e.size |= int64(c&0x7f) << shift
	}
	switch e.typ {
	case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject, plumbing.TagObject:
	case plumbing.OFSDeltaObject:
		if c, err = r.ReadByte(); err != nil {
			return e, malformed(off, "truncated header")
		}
		rel := int64(c & 0x7f)
		for c&0x80 != 0 {
			if c, err = r.ReadByte(); err != nil {
				return e, malformed(off, "truncated header")
			}
			if rel > 1<<55 {
				return e, malformed(off, "delta base offset overflows")
			}
			rel = (rel+1)<<7 | int64(c&0x7f)
		}
		if rel <= 0 || rel > off {
			return e, malformed(off, "delta base offset %d out of the pack", rel)
		}
		e.baseOff = off - rel
	case plumbing.REFDeltaObject:
		if _, err := io.ReadFull(r, e.baseRef[:]); err != nil {
			return e, malformed(off, "truncated delta base name")
		}
	default:
		return e, malformed(off, "unknown object type %d", e.typ)
	}
	return e, nil
}

var zlibReaders sync.Pool

// inflate reads the zlib stream of e, which must inflate to exactly
// e.size bytes.
func (p *packFile) inflate(e packEntry) ([]byte, error) {
	data, _, err := p.inflateEnd(e)
	return data, err
}

// inflateEnd is inflate, also returning where the entry ends: the offset
// of the next one.
func (p *packFile) inflateEnd(e packEntry) ([]byte, int64, error) {
	src := p.stream(e.data)
	var zr io.ReadCloser
	var err error
	if v, ok := zlibReaders.Get().(io.ReadCloser); ok {
		if err := v.(zlib.Resetter).Reset(src, nil); err != nil {
			return nil, 0, p.malformed(e.data, "%v", err)
		}
		zr = v
	} else if zr, err = zlib.NewReader(src); err != nil {
		return nil, 0, p.malformed(e.data, "%v", err)
	}
	defer zlibReaders.Put(zr)
	data := make([]byte, e.size)
	if _, err := io.ReadFull(zr, data); err != nil {
		return nil, 0, p.malformed(e.data, "inflate: %v", err)
	}
	// The stream must end here: this also checks its checksum.
	var one [1]byte
	if n, err := zr.Read(one[:]); n != 0 || !errors.Is(err, io.EOF) {
		if err == nil || errors.Is(err, io.EOF) {
			err = packfile.ErrInflatedSizeMismatch
		}
		return nil, 0, p.malformed(e.data, "inflate: %v", err)
	}
	return data, src.pos, nil
}

// inflateAt reads the entry at off as it is stored: a whole object's
// content, or a delta.
func (p *packFile) inflateAt(off int64) ([]byte, error) {
	e, err := p.entry(off)
	if err != nil {
		return nil, err
	}
	return p.inflate(e)
}

func (p *packFile) close() error {
	if p.win != nil {
		p.win.drop(p)
	}
	var err error
	if p.f != nil {
		err = p.f.Close()
		p.f = nil
	}
	return errors.Join(err, p.idx.close())
}
