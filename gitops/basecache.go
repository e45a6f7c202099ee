package gitops

import (
	clist "container/list"

	"github.com/go-git/go-git/v5/plumbing"
)

// baseCache keeps the most recently used delta bases, decoded, up to max
// bytes: the objects of one directory's history share their bases, so
// reading them one after another rebuilds each base once. A base costs its
// bytes and its bookkeeping ([baseOverhead]): over a long history most
// bases are small files and trees, and counting their bytes alone let a
// cache of 16 MiB hold 20 MiB more (TestBaseCacheBoundsTheHeap).
type baseCache struct {
	max, bytes int
	order      clist.List // of *cachedBase, the most recent first
	byKey      map[baseKey]*clist.Element
}

// baseOverhead is what keeping a base costs besides its bytes: its list
// element (48 bytes), its record (48) and its map entry (about 40, up to
// twice that while the map grows).
const baseOverhead = 176

type baseKey struct {
	p   *packFile
	off int64
}

type cachedBase struct {
	key  baseKey
	typ  plumbing.ObjectType
	data []byte
}

func (b *cachedBase) cost() int { return cap(b.data) + baseOverhead }

func (c *baseCache) get(p *packFile, off int64) (*cachedBase, bool) {
	el, ok := c.byKey[baseKey{p, off}]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cachedBase), true
}

// put keeps data as the base at off in p; a base larger than a quarter of
// the cache is not kept.
func (c *baseCache) put(p *packFile, off int64, typ plumbing.ObjectType, data []byte) {
	k := baseKey{p, off}
	b := &cachedBase{key: k, typ: typ, data: data}
	if b.cost() > c.max/4 {
		return
	}
	if _, ok := c.byKey[k]; ok {
		return
	}
	if c.byKey == nil {
		c.byKey = make(map[baseKey]*clist.Element)
	}
	c.byKey[k] = c.order.PushFront(b)
	c.bytes += b.cost()
	for c.bytes > c.max {
		c.remove(c.order.Back())
	}
}

func (c *baseCache) remove(el *clist.Element) {
	b := c.order.Remove(el).(*cachedBase)
	delete(c.byKey, b.key)
	c.bytes -= b.cost()
}

// dropPack forgets the bases of p, a pack no longer there.
func (c *baseCache) dropPack(p *packFile) {
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		if el.Value.(*cachedBase).key.p == p {
			c.remove(el)
		}
		el = next
	}
}

func (c *baseCache) clear() {
	c.order.Init()
	c.byKey = nil
	c.bytes = 0
}
