package gitops

import (
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// maxCachedTrees bounds the decoded trees a [Repo] keeps. A tree is
// immutable under its hash, so the cache is shared by every snapshot and
// pass; past the bound it starts again (a monorepo of 1,000 apps has a few
// thousand trees per commit, and a pass changes a handful).
const maxCachedTrees = 50_000

// dirTree is a decoded tree, indexed by entry name when it is large enough
// for a linear search to cost more than a map.
type dirTree struct {
	hash    plumbing.Hash
	entries []object.TreeEntry
	byName  map[string]int
}

const indexedTreeEntries = 16

func (t *dirTree) find(name string) (object.TreeEntry, bool) {
	if t.byName != nil {
		i, ok := t.byName[name]
		if !ok {
			return object.TreeEntry{}, false
		}
		return t.entries[i], true
	}
	for _, e := range t.entries {
		if e.Name == name {
			return e, true
		}
	}
	return object.TreeEntry{}, false
}

// dirTree returns the decoded tree h, from the cache when it was decoded
// before; callers hold r.mu.
func (r *Repo) dirTree(h plumbing.Hash) (*dirTree, error) {
	if t, ok := r.trees[h]; ok {
		return t, nil
	}
	ot, err := object.GetTree(r.repo.Storer, h)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", h, r.damaged(err))
	}
	t := &dirTree{hash: h, entries: ot.Entries}
	if len(t.entries) > indexedTreeEntries {
		t.byName = make(map[string]int, len(t.entries))
		for i, e := range t.entries {
			t.byName[e.Name] = i
		}
	}
	if r.trees == nil || len(r.trees) >= maxCachedTrees {
		r.trees = make(map[plumbing.Hash]*dirTree)
	}
	r.trees[h] = t
	return t, nil
}

// isDirMode reports whether a tree entry is a directory.
func isDirMode(m filemode.FileMode) bool { return m == filemode.Dir }
