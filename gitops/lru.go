package gitops

import clist "container/list"

// lru keeps values up to max in cost, dropping the least recently used
// first. A value's cost is its bytes and its bookkeeping: over a long
// history most objects are small files and trees, and a cache counting
// bytes alone held twice its bound and more (TestBaseCacheBoundsTheHeap).
// It is not safe for concurrent use.
type lru[K comparable, V any] struct {
	max, used int
	order     clist.List // of *lruEntry, the most recent first
	byKey     map[K]*clist.Element
}

type lruEntry[K comparable, V any] struct {
	key   K
	value V
	cost  int
}

func (c *lru[K, V]) get(k K) (V, bool) {
	el, ok := c.byKey[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruEntry[K, V]).value, true
}

// put keeps v under k at cost, unless k is kept already or v costs more
// than a quarter of the cache.
func (c *lru[K, V]) put(k K, v V, cost int) {
	if cost > c.max/4 {
		return
	}
	if _, ok := c.byKey[k]; ok {
		return
	}
	if c.byKey == nil {
		c.byKey = make(map[K]*clist.Element)
	}
	c.byKey[k] = c.order.PushFront(&lruEntry[K, V]{key: k, value: v, cost: cost})
	c.used += cost
	for c.used > c.max {
		c.remove(c.order.Back())
	}
}

func (c *lru[K, V]) remove(el *clist.Element) {
	e := c.order.Remove(el).(*lruEntry[K, V])
	delete(c.byKey, e.key)
	c.used -= e.cost
}

// removeIf drops the values whose key drop reports.
func (c *lru[K, V]) removeIf(drop func(K) bool) {
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		if drop(el.Value.(*lruEntry[K, V]).key) {
			c.remove(el)
		}
		el = next
	}
}

func (c *lru[K, V]) clear() {
	c.order.Init()
	c.byKey = nil
	c.used = 0
}
