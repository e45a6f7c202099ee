package gitops

import (
	"errors"
	"io"
)

// windowCache keeps the last few windows of pack bytes read, each one
// pread of windowSize aligned bytes: reading an object reads the window
// around it, and the objects stored after it — the next commits of a
// history, which git stores one after another, newest first — come from
// memory. It holds at most maxWindows windows whatever the packs' size or
// number. It is not safe for concurrent use: the [objectStore] serializes
// its reads, and an index-pack has its own.
type windowCache struct {
	wins  [maxWindows]packWindow
	clock uint64
}

const (
	windowSize = 32 << 10
	maxWindows = 4
)

type packWindow struct {
	p    *packFile
	off  int64  // aligned to windowSize
	data []byte // shorter than windowSize at the end of the pack
	used uint64
}

// at returns the bytes of p from off to the end of the window holding off,
// reading that window unless it is cached: at least one byte, or an error
// (io.EOF past the end of the pack).
func (c *windowCache) at(p *packFile, off int64) ([]byte, error) {
	start := off &^ (windowSize - 1)
	c.clock++
	old := &c.wins[0]
	for i := range c.wins {
		w := &c.wins[i]
		if w.p == p && w.off == start && w.data != nil {
			w.used = c.clock
			return rest(w.data, off-start)
		}
		if w.used < old.used {
			old = w
		}
	}
	f, err := p.file()
	if err != nil {
		return nil, err
	}
	if old.data == nil {
		old.data = make([]byte, windowSize)
	}
	n, err := f.ReadAt(old.data[:windowSize], start)
	if err != nil && !errors.Is(err, io.EOF) {
		old.p, old.data = nil, old.data[:0]
		return nil, err
	}
	old.p, old.off, old.data, old.used = p, start, old.data[:n], c.clock
	return rest(old.data, off-start)
}

func rest(data []byte, from int64) ([]byte, error) {
	if from >= int64(len(data)) {
		return nil, io.EOF
	}
	return data[from:], nil
}

// drop forgets the windows of p, a pack closed.
func (c *windowCache) drop(p *packFile) {
	for i := range c.wins {
		if c.wins[i].p == p {
			c.wins[i] = packWindow{data: c.wins[i].data[:0]}
		}
	}
}

// packStream reads a pack in order from an offset through a windowCache:
// an entry's header, then its zlib stream. As an io.ByteReader it lets
// zlib read no further than the stream, so pos ends at the next entry.
type packStream struct {
	c   *windowCache
	p   *packFile
	pos int64
	buf []byte // the window's bytes from pos, not yet read
}

func (r *packStream) fill() error {
	if len(r.buf) > 0 {
		return nil
	}
	b, err := r.c.at(r.p, r.pos)
	r.buf = b
	return err
}

// ReadByte reads the next byte of the pack.
func (r *packStream) ReadByte() (byte, error) {
	if err := r.fill(); err != nil {
		return 0, err
	}
	b := r.buf[0]
	r.buf = r.buf[1:]
	r.pos++
	return b, nil
}

// Read reads the next bytes of the pack, at most to the end of a window.
func (r *packStream) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if err := r.fill(); err != nil {
		return 0, err
	}
	n := copy(b, r.buf)
	r.buf = r.buf[n:]
	r.pos += int64(n)
	return n, nil
}
