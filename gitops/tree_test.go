package gitops

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// encodeTree writes what go-git's Tree.Encode writes, for entries that
// sortEntries puts in git's order (names that are prefixes of each other,
// directories next to files, executables), and refuses entries out of that
// order.
func TestEncodeTreeAsGit(t *testing.T) {
	names := []string{"a", "a-b", "a.b", "a0", "a_", "ab", "b", "app", "app-1", "app.yaml", "apps", "z", "A", "~"}
	modes := []filemode.FileMode{filemode.Regular, filemode.Dir, filemode.Executable, filemode.Symlink}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var entries []object.TreeEntry
		for _, n := range names {
			if rng.IntN(3) == 0 {
				continue
			}
			var h plumbing.Hash
			h[0], h[19] = byte(round), byte(len(n))
			entries = append(entries, object.TreeEntry{Name: n, Mode: modes[rng.IntN(len(modes))], Hash: h})
		}
		rng.Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
		sortEntries(entries)
		want := &plumbing.MemoryObject{}
		if err := (&object.Tree{Entries: entries}).Encode(want); err != nil {
			t.Fatalf("round %d: go-git: %v (%v)", round, err, entries)
		}
		got, err := encodeTree(&plumbing.MemoryObject{}, entries)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if got.Hash() != want.Hash() || !bytes.Equal(content(t, got), content(t, want)) {
			t.Fatalf("round %d: %s, go-git %s, for %v", round, got.Hash(), want.Hash(), entries)
		}
		if len(entries) > 1 {
			entries[0], entries[1] = entries[1], entries[0]
			if _, err := encodeTree(&plumbing.MemoryObject{}, entries); err == nil {
				t.Fatalf("round %d: entries out of order encoded: %v", round, entries)
			}
		}
	}
	// The order git keeps: a directory "a" sorts as "a/", after "a.b"
	// ('.' < '/') and before "a0" ('/' < '0').
	entries := []object.TreeEntry{{Name: "a0", Mode: filemode.Regular}, {Name: "a", Mode: filemode.Dir}, {Name: "a.b", Mode: filemode.Regular}}
	sortEntries(entries)
	if got := fmt.Sprint(entries[0].Name, " ", entries[1].Name, " ", entries[2].Name); got != "a.b a a0" {
		t.Errorf("sorted %s, want a.b a a0", got)
	}
}

func content(t *testing.T, o plumbing.EncodedObject) []byte {
	t.Helper()
	b, err := objectBytes(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A large tree is searched by bisection in git's order, and by name when
// its entries are out of that order: both find what a scan finds.
func TestDirTreeFind(t *testing.T) {
	var entries []object.TreeEntry
	for i := range 40 {
		mode := filemode.Regular
		if i%3 == 0 {
			mode = filemode.Dir
		}
		entries = append(entries, object.TreeEntry{Name: fmt.Sprintf("app-%d", i), Mode: mode}, object.TreeEntry{Name: fmt.Sprintf("app-%d.yaml", i), Mode: filemode.Executable})
	}
	sortEntries(entries)
	shuffled := slices.Clone(entries)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	trees := []*dirTree{newDirTree(plumbing.ZeroHash, entries), newDirTree(plumbing.ZeroHash, shuffled)}
	if !trees[0].sorted || trees[1].sorted || trees[1].byName == nil {
		t.Fatalf("in git's order: bisected %v; shuffled: bisected %v, indexed %v", trees[0].sorted, trees[1].sorted, trees[1].byName != nil)
	}
	for _, tree := range trees {
		for _, e := range entries {
			if got, ok := tree.find(e.Name); !ok || got != e {
				t.Errorf("sorted %v: find(%q) = %v, %v", tree.sorted, e.Name, got, ok)
			}
		}
		for _, name := range []string{"app", "app-", "app-1.", "app-99", "zzz", ""} {
			if got, ok := tree.find(name); ok {
				t.Errorf("sorted %v: find(%q) = %v", tree.sorted, name, got)
			}
		}
	}
}
