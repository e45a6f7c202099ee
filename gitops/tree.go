package gitops

import (
	"fmt"
	"sort"
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
}

// apply returns the hash of base with changes applied (relative paths; nil
// content deletes). base may be nil for an empty tree. An empty result is
// written as the empty tree.
func (b *treeBuilder) apply(base *object.Tree, changes map[string][]byte) (plumbing.Hash, error) {
	h, _, err := b.build(base, "", changes)
	return h, err
}

// build returns the new hash of the tree at dir, and false if it became empty.
func (b *treeBuilder) build(base *object.Tree, dir string, changes map[string][]byte) (plumbing.Hash, bool, error) {
	entries := map[string]object.TreeEntry{}
	if base != nil {
		for _, e := range base.Entries {
			entries[e.Name] = e
		}
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
	for name, data := range files {
		old, had := entries[name]
		if data == nil {
			if had && old.Mode != filemode.Dir {
				delete(entries, name)
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
		entries[name] = object.TreeEntry{Name: name, Mode: mode, Hash: h}
	}
	for name, sub := range subdirs {
		var subBase *object.Tree
		if old, ok := entries[name]; ok && old.Mode == filemode.Dir {
			t, err := object.GetTree(b.s, old.Hash)
			if err != nil {
				return plumbing.ZeroHash, false, fmt.Errorf("read tree %s: %w", dir+name, err)
			}
			subBase = t
		}
		h, ok, err := b.build(subBase, dir+name+"/", sub)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if !ok {
			if old, had := entries[name]; had && old.Mode == filemode.Dir {
				delete(entries, name)
			}
			continue
		}
		entries[name] = object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h}
	}
	if len(entries) == 0 {
		if dir == "" {
			h, err := b.writeTree(nil)
			return h, false, err
		}
		return plumbing.ZeroHash, false, nil
	}
	list := make([]object.TreeEntry, 0, len(entries))
	for _, e := range entries {
		list = append(list, e)
	}
	sortEntries(list)
	h, err := b.writeTree(list)
	return h, true, err
}

// sortEntries orders entries as git does: by name, with directories compared
// as if their name ended in "/".
func sortEntries(list []object.TreeEntry) {
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(list, func(i, j int) bool { return key(list[i]) < key(list[j]) })
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

func (b *treeBuilder) writeTree(entries []object.TreeEntry) (plumbing.Hash, error) {
	t := &object.Tree{Entries: entries}
	obj := b.s.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode tree: %w", err)
	}
	if b.s.HasEncodedObject(obj.Hash()) == nil {
		return obj.Hash(), nil
	}
	return b.store(obj)
}

func (b *treeBuilder) store(obj plumbing.EncodedObject) (plumbing.Hash, error) {
	h, err := b.s.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write %s object: %w", obj.Type(), err)
	}
	return h, nil
}
