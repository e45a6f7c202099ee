package gitops

import (
	"bytes"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// maxDeltaDepth bounds a pending object's chain of deltas, as git's
// pack.depth does (50): every 50th version of a directory is kept whole, so
// reading one costs at most 50 patches.
const maxDeltaDepth = 50

// trimDelta is git's delta (a packfile's delta data) that makes dst from
// src by copying their common prefix and suffix and inserting what lies
// between: a directory's new tree differs from its previous version in the
// entries a commit changed, often one of a thousand. It returns nil when
// the delta would not be under half of dst.
func trimDelta(src, dst []byte) []byte {
	prefix := commonPrefix(src, dst)
	suffix := commonSuffix(src[prefix:], dst[prefix:])
	middle := dst[prefix : len(dst)-suffix]
	if 2*(len(middle)+len(middle)/127+40) > len(dst) {
		return nil
	}
	d := make([]byte, 0, len(middle)+len(middle)/127+40)
	d = appendDeltaSize(d, len(src))
	d = appendDeltaSize(d, len(dst))
	d = appendCopy(d, 0, prefix)
	for len(middle) > 0 {
		n := min(len(middle), 127)
		d = append(d, byte(n))
		d = append(d, middle[:n]...)
		middle = middle[n:]
	}
	return appendCopy(d, len(src)-suffix, suffix)
}

func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

func commonSuffix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	return i
}

// appendDeltaSize appends a delta header's size: 7 bits a byte, the least
// significant first, the high bit set on all but the last.
func appendDeltaSize(d []byte, n int) []byte {
	for n >= 0x80 {
		d = append(d, byte(n)|0x80)
		n >>= 7
	}
	return append(d, byte(n))
}

// appendCopy appends copy instructions for n bytes of the source at off,
// in chunks of at most 0xffffff bytes (a copy's largest size field).
func appendCopy(d []byte, off, n int) []byte {
	for n > 0 {
		size := min(n, 0xffffff)
		op, at := byte(0x80), len(d)
		d = append(d, 0)
		for i := range 4 {
			if b := byte(off >> (8 * i)); b != 0 {
				op |= 1 << i
				d = append(d, b)
			}
		}
		for i := range 3 {
			if b := byte(size >> (8 * i)); b != 0 {
				op |= 0x10 << i
				d = append(d, b)
			}
		}
		d[at] = op
		off, n = off+size, n-size
	}
	return d
}

// setDelta keeps the new object o, the next version of the pending object
// base, as a delta against it when that is small and base's chain is not
// too long; else whole, as SetEncodedObject does. src returns base's
// content when the storage has not kept it (see contentCache), nil when it
// cannot.
func (s *cachedStorage) setDelta(o plumbing.EncodedObject, base plumbing.Hash, src func() ([]byte, error)) (plumbing.Hash, error) {
	s.mu.Lock()
	b, ok := s.pending[base]
	from, cached := s.contents.get(base)
	s.mu.Unlock()
	if !ok || b.depth >= maxDeltaDepth || b.typ != o.Type() {
		return s.SetEncodedObject(o)
	}
	if !cached {
		var err error
		if from, err = src(); err != nil {
			return o.Hash(), err
		}
		if from == nil {
			return s.SetEncodedObject(o)
		}
	}
	dst, err := objectBytes(o)
	if err != nil {
		return o.Hash(), err
	}
	delta := trimDelta(from, dst)
	if delta == nil {
		return s.SetEncodedObject(o)
	}
	p, err := packBytes(o.Type(), delta)
	if err != nil {
		return o.Hash(), err
	}
	p.size, p.base, p.depth = int64(len(dst)), base, b.depth+1
	h := o.Hash()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pending[h]; !ok {
		s.pending[h] = p
		s.bytes += int64(len(p.z))
		s.contents.put(h, dst)
	}
	return h, nil
}

// pendingContent returns the content of the pending object h, p, patching
// its chain of deltas: each version's content is kept a while, so the next
// version read after it costs one patch; s.mu is held.
func (s *cachedStorage) pendingContent(h plumbing.Hash, p *packedObject) ([]byte, error) {
	if data, ok := s.contents.get(h); ok {
		return data, nil
	}
	data, err := p.inflate()
	if err != nil || p.base.IsZero() {
		if err == nil && p.typ == plumbing.TreeObject {
			s.contents.put(h, data)
		}
		return data, err
	}
	b, ok := s.pending[p.base]
	if !ok {
		return nil, fmt.Errorf("the delta base %s of a new object is gone", p.base)
	}
	src, err := s.pendingContent(p.base, b)
	if err != nil {
		return nil, err
	}
	out, err := packfile.PatchDelta(src, data)
	if err != nil {
		return nil, fmt.Errorf("patch a new object against %s: %w", p.base, err)
	}
	if int64(len(out)) != p.size {
		return nil, fmt.Errorf("a new object patched against %s has %d bytes, want %d", p.base, len(out), p.size)
	}
	s.contents.put(h, out)
	return out, nil
}

// contentCache keeps the content of the newest pending trees, up to max
// bytes, the oldest dropped first: the bases of the next versions.
type contentCache struct {
	max, bytes int
	order      []plumbing.Hash
	byHash     map[plumbing.Hash][]byte
}

func (c *contentCache) get(h plumbing.Hash) ([]byte, bool) {
	data, ok := c.byHash[h]
	return data, ok
}

func (c *contentCache) put(h plumbing.Hash, data []byte) {
	if _, ok := c.byHash[h]; ok || len(data) > c.max/4 {
		return
	}
	if c.byHash == nil {
		c.byHash = map[plumbing.Hash][]byte{}
	}
	c.byHash[h] = data
	c.order = append(c.order, h)
	c.bytes += len(data)
	for c.bytes > c.max {
		old := c.order[0]
		c.order = c.order[1:]
		c.bytes -= len(c.byHash[old])
		delete(c.byHash, old)
	}
}

// reset forgets every content: the pending objects are gone.
func (c *contentCache) reset() {
	clear(c.byHash)
	c.order, c.bytes = nil, 0
}

// objectBytes reads o's content.
func objectBytes(o plumbing.EncodedObject) ([]byte, error) {
	r, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(r)
	return buf.Bytes(), err
}
