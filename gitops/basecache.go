package gitops

import (
	"github.com/go-git/go-git/v5/plumbing"
)

// baseCache keeps the most recently used delta bases, decoded, up to max
// bytes: the objects of one directory's history share their bases, so
// reading them one after another rebuilds each base once.
type baseCache struct {
	lru[baseKey, cachedBase]
}

// baseOverhead is what keeping a base costs besides its bytes, as
// measured by TestBaseCacheBoundsTheHeap: its list element (48 bytes), its
// entry (64) and its map entry (more while the map grows).
const baseOverhead = 200

type baseKey struct {
	p   *packFile
	off int64
}

type cachedBase struct {
	typ  plumbing.ObjectType
	data []byte
}

func (c *baseCache) get(p *packFile, off int64) (cachedBase, bool) {
	return c.lru.get(baseKey{p, off})
}

// put keeps data as the base at off in p.
func (c *baseCache) put(p *packFile, off int64, typ plumbing.ObjectType, data []byte) {
	c.lru.put(baseKey{p, off}, cachedBase{typ, data}, cap(data)+baseOverhead)
}

// dropPack forgets the bases of p, a pack no longer there.
func (c *baseCache) dropPack(p *packFile) {
	c.removeIf(func(k baseKey) bool { return k.p == p })
}
