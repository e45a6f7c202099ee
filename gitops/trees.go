package gitops

import (
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// maxCachedTreeEntries bounds the entries of the decoded trees a [Repo]
// keeps (about 100 bytes each). A tree is immutable under its hash, so the
// cache is shared by every snapshot and pass; past the bound it starts
// again. A monorepo of 1,000 apps of 11 files has about 13,000 entries in
// the trees of one commit, which an idle pass reads; a pass that commits
// for many canaries makes a new root and apps/ tree for each commit, which
// the bound keeps from piling up.
const maxCachedTreeEntries = 100_000

// dirTree is a decoded tree. A large one in git's order (every tree git
// writes) is searched by bisection; one out of order (which git's fsck
// would flag) is indexed by entry name.
type dirTree struct {
	hash    plumbing.Hash
	entries []object.TreeEntry
	sorted  bool
	byName  map[string]int
}

const indexedTreeEntries = 16

func newDirTree(h plumbing.Hash, entries []object.TreeEntry) *dirTree {
	t := &dirTree{hash: h, entries: entries}
	if len(entries) <= indexedTreeEntries {
		return t
	}
	t.sorted = true
	for i := 1; i < len(entries); i++ {
		if treeOrder(entries[i-1], entries[i]) >= 0 {
			t.sorted = false
			break
		}
	}
	if !t.sorted {
		t.byName = make(map[string]int, len(entries))
		for i, e := range entries {
			t.byName[e.Name] = i
		}
	}
	return t
}

func (t *dirTree) find(name string) (object.TreeEntry, bool) {
	switch {
	case t.sorted:
		// The entry sorts as a file or, a directory, as name + "/".
		for _, mode := range []filemode.FileMode{filemode.Regular, filemode.Dir} {
			key := object.TreeEntry{Name: name, Mode: mode}
			i, ok := slices.BinarySearchFunc(t.entries, key, treeOrder)
			if ok && t.entries[i].Name == name {
				return t.entries[i], true
			}
		}
		return object.TreeEntry{}, false
	case t.byName != nil:
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
	return r.keepTree(h, ot.Entries), nil
}

// keepTree caches the entries of tree h (which the caller must not change
// since) and returns its dirTree; callers hold r.mu. A commit keeps the
// trees it writes, so that reading them (the next canary's pass over the
// new commit) does not decode what it just encoded.
func (r *Repo) keepTree(h plumbing.Hash, entries []object.TreeEntry) *dirTree {
	if t, ok := r.trees[h]; ok {
		return t
	}
	t := newDirTree(h, entries)
	if r.trees == nil || r.treeEntries+len(t.entries) > maxCachedTreeEntries {
		r.trees = make(map[plumbing.Hash]*dirTree)
		r.treeEntries = 0
	}
	r.trees[h] = t
	r.treeEntries += len(t.entries)
	return t
}

// isDirMode reports whether a tree entry is a directory.
func isDirMode(m filemode.FileMode) bool { return m == filemode.Dir }
