package gitops

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestEncodePackReadByGit writes blobs of sizes that take one to four
// header bytes, a tree and a commit, and has git index the pack: every
// object is there under its hash, with its type and size.
func TestEncodePackReadByGit(t *testing.T) {
	t.Parallel()
	objects := map[plumbing.Hash]*packedObject{}
	add := func(typ plumbing.ObjectType, data []byte) plumbing.Hash {
		o := &plumbing.MemoryObject{}
		o.SetType(typ)
		if _, err := o.Write(data); err != nil {
			t.Fatal(err)
		}
		p, err := packBytes(typ, data)
		if err != nil {
			t.Fatal(err)
		}
		// The object reads back as it was.
		back, err := p.inflate()
		if err != nil || plumbing.ComputeHash(typ, back) != o.Hash() {
			t.Fatalf("%s does not read back: %v", o.Hash(), err)
		}
		objects[o.Hash()] = p
		return o.Hash()
	}
	var blobs []plumbing.Hash
	for _, n := range []int{0, 15, 16, 2047, 2048, 300_000, 3_000_000} {
		blobs = append(blobs, add(plumbing.BlobObject, []byte(strings.Repeat("x", n))))
	}
	tree := add(plumbing.TreeObject, append([]byte("100644 a\x00"), blobs[1][:]...))
	commit := add(plumbing.CommitObject, []byte("tree "+tree.String()+"\nauthor a <a@b> 1 +0000\ncommitter a <a@b> 1 +0000\n\nm\n"))

	pack, idx, err := encodePack(objects)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run(t, dir, "init", "-q", "--bare", "r.git")
	if err := writePack(filepath.Join(dir, "r.git"), pack, idx); err != nil {
		t.Fatal(err)
	}
	// git checks the index against the pack (offsets, CRCs, the checksum),
	// and indexes the pack itself the same way.
	idxFiles, _ := filepath.Glob(filepath.Join(dir, "r.git", "objects", "pack", "pack-*.idx"))
	if len(idxFiles) != 1 {
		t.Fatalf("index files: %v", idxFiles)
	}
	listed := run(t, dir, "--git-dir=r.git", "verify-pack", "-v", idxFiles[0])
	file := filepath.Join(dir, "copy.pack")
	if err := os.WriteFile(file, pack, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, "--git-dir=r.git", "index-pack", "--strict", file)
	ours, _ := os.ReadFile(idxFiles[0])
	gits, _ := os.ReadFile(filepath.Join(dir, "copy.idx"))
	if !bytes.Equal(ours, gits) {
		t.Errorf("the index written differs from git index-pack's (%d and %d bytes)", len(ours), len(gits))
	}
	for h, o := range objects {
		want := h.String() + " " + o.typ.String() + " "
		found := false
		for _, l := range strings.Split(listed, "\n") {
			if strings.HasPrefix(l, want) {
				f := strings.Fields(l)
				found = len(f) > 2 && f[2] == strconv.FormatInt(o.size, 10)
			}
		}
		if !found {
			t.Errorf("%s %s of %d bytes not in the pack:\n%s", o.typ, h, o.size, listed)
		}
	}
	if got := run(t, dir, "--git-dir=r.git", "cat-file", "-p", commit.String()+":a"); got != strings.Repeat("x", 15) {
		t.Errorf("a = %q", got)
	}
}
