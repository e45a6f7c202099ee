package gitops

import (
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// The delta base cache holds no more than its bound in the heap, however
// small its bases: over a long history most bases are small files and
// trees, and their bookkeeping costs as much as their bytes. (Not
// parallel: it reads the heap's size.)
func TestBaseCacheBoundsTheHeap(t *testing.T) {
	const max = 4 << 20
	p := &packFile{path: "pack-x.pack"}
	c := &baseCache{lru[baseKey, cachedBase]{max: max}}
	before := heapAlloc()
	for i := range 200_000 {
		c.put(p, int64(i)*100, plumbing.BlobObject, make([]byte, 40))
	}
	held := heapAlloc() - before
	t.Logf("%.1f MiB of heap in %d bases", float64(held)/(1<<20), c.order.Len())
	if held > max*5/4 {
		t.Errorf("a cache of %d MiB holds %.1f MiB of heap in %d bases", max>>20, float64(held)/(1<<20), c.order.Len())
	}
	// The most recent bases are the ones kept.
	if _, ok := c.get(p, 199_999*100); !ok {
		t.Error("the last base put is not kept")
	}
	if _, ok := c.get(p, 0); ok {
		t.Error("the first base put is still kept")
	}
	runtime.KeepAlive(c)
}

// So does the object cache.
func TestObjectCacheBoundsTheHeap(t *testing.T) {
	c := newObjectCache()
	c.contents.max = 4 << 20
	before := heapAlloc()
	for i := range 200_000 {
		var h plumbing.Hash
		binary.BigEndian.PutUint32(h[:], uint32(i))
		c.put(&storedObject{hash: h, typ: plumbing.BlobObject, data: make([]byte, 40)})
	}
	held := heapAlloc() - before
	t.Logf("%.1f MiB of heap in %d objects", float64(held)/(1<<20), c.contents.order.Len())
	if held > c.contents.max*5/4 {
		t.Errorf("a cache of %d MiB holds %.1f MiB of heap", c.contents.max>>20, float64(held)/(1<<20))
	}
	runtime.KeepAlive(c)
}

// heapAlloc is the heap's live bytes after a collection.
func heapAlloc() int {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int(m.HeapAlloc)
}

// A walk of a long history, each commit read once, does not push the trees
// and files out of the object cache.
func TestObjectCacheKeepsTreesThroughAWalk(t *testing.T) {
	t.Parallel()
	c := newObjectCache()
	tree := &storedObject{hash: plumbing.Hash{1}, typ: plumbing.TreeObject, data: []byte("100644 a\x00")}
	c.put(tree)
	var last plumbing.Hash
	for i := range 200_000 {
		binary.BigEndian.PutUint32(last[1:], uint32(i))
		c.put(&storedObject{hash: last, typ: plumbing.CommitObject, data: make([]byte, 250)})
	}
	if o, ok := c.get(tree.hash); !ok || o != tree {
		t.Error("the tree is gone after a walk of 200,000 commits")
	}
	if o, ok := c.get(last); !ok || o.typ != plumbing.CommitObject {
		t.Error("the last commit read is not kept")
	}
	if c.commits.used > c.commits.max {
		t.Errorf("commits take %d bytes of %d", c.commits.used, c.commits.max)
	}
}
