package gitops

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// emptyTreeHash is the hash of the tree without entries.
var emptyTreeHash = plumbing.ComputeHash(plumbing.TreeObject, nil)

// treeBuilder rewrites trees along changed paths and writes the new blobs
// and trees into the object storage.
type treeBuilder struct {
	s storer.EncodedObjectStorer
	// entries reads a tree's entries, in git order; the caller must not
	// change them.
	entries func(plumbing.Hash) ([]object.TreeEntry, error)
	// wrote, when set, is told each tree written and its entries, which
	// are not changed after.
	wrote func(plumbing.Hash, []object.TreeEntry)
}

// apply returns the hash of the tree base (the zero hash for an empty
// tree) with changes applied (relative paths; nil content deletes). An
// empty result is written as the empty tree.
func (b *treeBuilder) apply(base plumbing.Hash, changes map[string][]byte) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	if !base.IsZero() {
		var err error
		if entries, err = b.entries(base); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read tree: %w", err)
		}
	}
	h, _, err := b.build(entries, base, "", changes)
	return h, err
}

// build returns the new hash of the tree at dir whose entries were base
// (the tree prev, zero when there was none), and false if it became empty. A monorepo's large directories (apps/ of
// a thousand apps) change one entry per commit: entries replaced in place
// keep git's order, and only a commit that adds, removes or retypes an
// entry sorts again.
func (b *treeBuilder) build(base []object.TreeEntry, prev plumbing.Hash, dir string, changes map[string][]byte) (plumbing.Hash, bool, error) {
	find := func(name string) (object.TreeEntry, bool) {
		for _, e := range base {
			if e.Name == name {
				return e, true
			}
		}
		return object.TreeEntry{}, false
	}
	files := map[string][]byte{}
	subdirs := map[string]map[string][]byte{}
	for p, data := range changes {
		name, rest, nested := strings.Cut(p, "/")
		if !nested {
			files[name] = data
			continue
		}
		if subdirs[name] == nil {
			subdirs[name] = map[string][]byte{}
		}
		subdirs[name][rest] = data
	}
	// updates: name -> new entry, nil to remove.
	updates := map[string]*object.TreeEntry{}
	for name, data := range files {
		old, had := find(name)
		if data == nil {
			if had && old.Mode != filemode.Dir {
				updates[name] = nil
			}
			continue
		}
		h, err := b.writeBlob(data)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		mode := filemode.Regular
		if had && old.Mode == filemode.Executable {
			mode = filemode.Executable
		}
		updates[name] = &object.TreeEntry{Name: name, Mode: mode, Hash: h}
	}
	for name, sub := range subdirs {
		if u := updates[name]; u != nil {
			continue // only deletions below a path written as a file: the file stays
		}
		var subBase []object.TreeEntry
		var subPrev plumbing.Hash
		old, had := find(name)
		if had && old.Mode == filemode.Dir {
			var err error
			if subBase, err = b.entries(old.Hash); err != nil {
				return plumbing.ZeroHash, false, fmt.Errorf("read tree %s: %w", dir+name, err)
			}
			subPrev = old.Hash
		}
		h, ok, err := b.build(subBase, subPrev, dir+name+"/", sub)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if !ok {
			if had && old.Mode == filemode.Dir {
				updates[name] = nil
			}
			continue
		}
		updates[name] = &object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h}
	}

	list := make([]object.TreeEntry, 0, len(base)+len(updates))
	resort := false
	for _, e := range base {
		u, ok := updates[e.Name]
		switch {
		case !ok:
			list = append(list, e)
		case u == nil:
			// removed
		default:
			if (u.Mode == filemode.Dir) != (e.Mode == filemode.Dir) {
				resort = true // its sort key changes
			}
			list = append(list, *u)
		}
		delete(updates, e.Name)
	}
	for _, u := range updates {
		if u != nil {
			list = append(list, *u)
			resort = true
		}
	}
	if len(list) == 0 {
		if dir == "" {
			h, err := b.writeTree(nil, plumbing.ZeroHash, nil)
			return h, false, err
		}
		return plumbing.ZeroHash, false, nil
	}
	if resort {
		sortEntries(list)
	}
	h, err := b.writeTree(list, prev, base)
	if err == nil && b.wrote != nil {
		b.wrote(h, list)
	}
	return h, true, err
}

// sortEntries orders entries as git does: by name, with directories compared
// as if their name ended in "/".
func sortEntries(list []object.TreeEntry) {
	slices.SortFunc(list, treeOrder)
}

func (b *treeBuilder) writeBlob(data []byte) (plumbing.Hash, error) {
	h := plumbing.ComputeHash(plumbing.BlobObject, data)
	if b.s.HasEncodedObject(h) == nil {
		return h, nil
	}
	obj := b.s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(data)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write blob: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write blob: %w", err)
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write blob: %w", err)
	}
	return b.store(obj)
}

// writeTree writes the tree of entries, the next version of the tree prev
// whose entries were base (zero and nil when it is new): a new version of
// a tree this pass wrote is kept as a delta against it.
func (b *treeBuilder) writeTree(entries []object.TreeEntry, prev plumbing.Hash, base []object.TreeEntry) (plumbing.Hash, error) {
	obj, err := encodeTree(b.s.NewEncodedObject(), entries)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if b.s.HasEncodedObject(obj.Hash()) == nil {
		return obj.Hash(), nil
	}
	if ds, ok := b.s.(deltaStorer); ok && !prev.IsZero() && ds.has(prev) {
		h, err := ds.setDelta(obj, prev, func() ([]byte, error) {
			src, err := encodeTree(&plumbing.MemoryObject{}, base)
			if err != nil {
				return nil, err
			}
			if src.Hash() != prev {
				return nil, nil // not canonical: written whole
			}
			return objectBytes(src)
		})
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("write tree object: %w", err)
		}
		return h, nil
	}
	return b.store(obj)
}

// deltaStorer keeps a new object as a delta against a pending one (see
// cachedStorage.setDelta).
type deltaStorer interface {
	has(h plumbing.Hash) bool
	setDelta(o plumbing.EncodedObject, base plumbing.Hash, src func() ([]byte, error)) (plumbing.Hash, error)
}

// encodeTree encodes the tree of entries into obj, as git does; entries
// must be in git's order (treeOrder) and names free of NUL bytes. (go-git's
// Tree.Encode formats every entry with fmt and sorts names with a "/"
// appended to each directory's: a tenth of a 5,000-app first pass.)
func encodeTree(obj plumbing.EncodedObject, entries []object.TreeEntry) (plumbing.EncodedObject, error) {
	size := 0
	for i, e := range entries {
		if strings.IndexByte(e.Name, 0) >= 0 {
			return nil, fmt.Errorf("encode tree: malformed entry name %q", e.Name)
		}
		if i > 0 && treeOrder(entries[i-1], e) > 0 {
			return nil, fmt.Errorf("encode tree: entries not in git's order: %q before %q", entries[i-1].Name, e.Name)
		}
		size += 7 + len(e.Name) + 1 + len(e.Hash)
	}
	buf := make([]byte, 0, size)
	for _, e := range entries {
		buf = strconv.AppendUint(buf, uint64(e.Mode), 8)
		buf = append(buf, ' ')
		buf = append(buf, e.Name...)
		buf = append(buf, 0)
		buf = append(buf, e.Hash[:]...)
	}
	obj.SetType(plumbing.TreeObject)
	obj.SetSize(int64(len(buf)))
	w, err := obj.Writer()
	if err == nil {
		_, err = w.Write(buf)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return nil, fmt.Errorf("encode tree: %w", err)
	}
	return obj, nil
}

// treeOrder compares two entries as git orders a tree's: by name, with a
// directory's compared as if it ended in "/".
func treeOrder(a, b object.TreeEntry) int {
	an, bn := len(a.Name), len(b.Name)
	for i := 0; i < min(an, bn); i++ {
		if a.Name[i] != b.Name[i] {
			return int(a.Name[i]) - int(b.Name[i])
		}
	}
	end := func(e object.TreeEntry, n int) int {
		if n < len(e.Name) {
			return int(e.Name[n])
		}
		if n == len(e.Name) && e.Mode == filemode.Dir {
			return '/'
		}
		return -1 // ended
	}
	n := min(an, bn)
	for {
		ca, cb := end(a, n), end(b, n)
		if ca != cb || ca == -1 {
			return ca - cb
		}
		n++
	}
}

func (b *treeBuilder) store(obj plumbing.EncodedObject) (plumbing.Hash, error) {
	h, err := b.s.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write %s object: %w", obj.Type(), err)
	}
	return h, nil
}
