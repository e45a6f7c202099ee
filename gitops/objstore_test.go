package gitops

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// historyRepo makes a bare repository of commits commits, each editing a
// few lines of two growing files (so that git stores most versions as
// deltas), and returns its path. The objects are loose.
func historyRepo(t *testing.T, commits int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo.git")
	run(t, "", "init", "-q", "--bare", "-b", "main", dir)
	var stream strings.Builder
	var lines []string
	for i := range commits {
		lines = append(lines, fmt.Sprintf("line %d: image podinfo:6.0.%d", i, i))
		lines[i/2] = fmt.Sprintf("edited by commit %d", i)
		content := strings.Join(lines, "\n") + "\n"
		other := strings.Repeat(fmt.Sprintf("filler %d\n", i%7), 50+i)
		msg := fmt.Sprintf("commit %d", i)
		fmt.Fprintf(&stream, "commit refs/heads/main\ncommitter CI <ci@example.com> %d +0000\ndata %d\n%s\n", 1700000000+i, len(msg), msg)
		fmt.Fprintf(&stream, "M 100644 inline apps/podinfo/deploy.yaml\ndata %d\n%s\n", len(content), content)
		fmt.Fprintf(&stream, "M 100644 inline apps/other/filler.txt\ndata %d\n%s\n", len(other), other)
	}
	runInput(t, dir, stream.String(), "fast-import", "--quiet")
	// fast-import writes a pack; make every object loose to start from.
	for _, p := range globT(t, dir, "objects/pack/*.pack") {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range globT(t, dir, "objects/pack/"+strings.TrimSuffix(filepath.Base(p), ".pack")+".*") {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
		runInput(t, dir, string(data), "unpack-objects", "-q")
	}
	return dir
}

func globT(t *testing.T, dir, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type gitObject struct {
	typ  plumbing.ObjectType
	data []byte
}

// allObjects is every object of the repository as git cat-file reads it.
func allObjects(t *testing.T, dir string) map[plumbing.Hash]gitObject {
	t.Helper()
	cmd := exec.Command("git", "cat-file", "--batch-all-objects", "--batch")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git cat-file: %v", err)
	}
	objs := map[plumbing.Hash]gitObject{}
	rd := bufio.NewReader(bytes.NewReader(out))
	for {
		header, err := rd.ReadString('\n')
		if err != nil {
			break
		}
		f := strings.Fields(header)
		size, _ := strconv.Atoi(f[2])
		typ, err := plumbing.ParseObjectType(f[1])
		if err != nil {
			t.Fatal(err)
		}
		data := make([]byte, size+1) // and the newline after it
		if _, err := io.ReadFull(rd, data); err != nil {
			t.Fatal(err)
		}
		objs[plumbing.NewHash(f[0])] = gitObject{typ, data[:size]}
	}
	if len(objs) == 0 {
		t.Fatal("git cat-file listed no objects")
	}
	return objs
}

// packLayout is what git verify-pack says of the packs: each object's
// offset, and how many are stored as deltas.
func packLayout(t *testing.T, dir string) (offsets map[plumbing.Hash]int64, deltas int) {
	t.Helper()
	offsets = map[plumbing.Hash]int64{}
	for _, idx := range globT(t, dir, "objects/pack/*.idx") {
		for _, line := range strings.Split(run(t, dir, "verify-pack", "-v", idx), "\n") {
			f := strings.Fields(line)
			if len(f) < 5 || len(f[0]) != 40 {
				continue
			}
			off, err := strconv.ParseInt(f[4], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			offsets[plumbing.NewHash(f[0])] = off
			if len(f) == 7 {
				deltas++
			}
		}
	}
	return offsets, deltas
}

// checkStore reads every object of dir through an objectStore and compares
// it with git's reading, and the pack offsets with git verify-pack's.
func checkStore(t *testing.T, dir string) *objectStore {
	t.Helper()
	s := newObjectStore(dir)
	t.Cleanup(func() { _ = s.close() })
	for h, want := range allObjects(t, dir) {
		typ, data, err := s.read(h)
		if err != nil {
			t.Fatalf("read %s: %v", h, err)
		}
		if typ != want.typ || !bytes.Equal(data, want.data) {
			t.Fatalf("read %s: %s of %d bytes, git reads %s of %d bytes", h, typ, len(data), want.typ, len(want.data))
		}
		if ok, err := s.has(h); !ok || err != nil {
			t.Fatalf("has %s = %v, %v", h, ok, err)
		}
	}
	offsets, _ := packLayout(t, dir)
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, want := range offsets {
		p, off, err := s.find(h)
		if err != nil || p == nil || off != want {
			t.Fatalf("find %s = %v at %d, %v; git verify-pack: offset %d", h, p, off, err, want)
		}
	}
	return s
}

func TestObjectStoreReadsWhatGitReads(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// layout stores the loose objects of the repository in dir.
		layout func(t *testing.T, dir string)
		packs  int
		deltas bool
	}{
		{name: "loose objects only", layout: func(*testing.T, string) {}},
		{name: "gc --aggressive: offset deltas", packs: 1, deltas: true, layout: func(t *testing.T, dir string) {
			run(t, dir, "gc", "-q", "--aggressive")
		}},
		{name: "reference deltas", packs: 1, deltas: true, layout: func(t *testing.T, dir string) {
			run(t, dir, "-c", "repack.useDeltaBaseOffset=false", "repack", "-q", "-a", "-d", "-f")
		}},
		{name: "64-bit offsets", packs: 1, deltas: true, layout: func(t *testing.T, dir string) {
			run(t, dir, "repack", "-q", "-a", "-d", "-f")
			idx := globT(t, dir, "objects/pack/*.idx")[0]
			if err := os.Remove(idx); err != nil {
				t.Fatal(err)
			}
			// Every offset past 64 bytes goes to the table of large ones.
			run(t, dir, "index-pack", "--index-version=2,0x40", strings.TrimSuffix(idx, ".idx")+".pack")
		}},
		{name: "two packs and loose objects", packs: 2, deltas: true, layout: func(t *testing.T, dir string) {
			objs := allObjects(t, dir)
			run(t, dir, "repack", "-q", "-d") // packs the loose objects: one pack
			// Half of the objects again, loose, and a second pack.
			var stream strings.Builder
			i := 0
			for _, o := range objs {
				if i++; i%2 == 0 {
					continue
				}
				fmt.Fprintf(&stream, "blob\ndata %d\n%s\n", len(o.data)+1, string(o.data)+"x")
			}
			runInput(t, dir, stream.String(), "fast-import", "--quiet")
			otherCommit(t, dir, map[string]string{"README.md": "loose\n"}, "a loose commit")
			// otherCommit pushed; git unpacks a small push into loose objects.
			if len(globT(t, dir, "objects/??/*")) == 0 {
				t.Fatal("no loose objects")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := historyRepo(t, 60)
			tc.layout(t, dir)
			if got := len(globT(t, dir, "objects/pack/*.idx")); got != tc.packs {
				t.Fatalf("%d packs, want %d", got, tc.packs)
			}
			if _, deltas := packLayout(t, dir); (deltas > 0) != tc.deltas {
				t.Fatalf("%d objects stored as deltas, want some: %v", deltas, tc.deltas)
			}
			s := checkStore(t, dir)
			missing := plumbing.NewHash("0123456789012345678901234567890123456789")
			if _, _, err := s.read(missing); err != plumbing.ErrObjectNotFound {
				t.Errorf("read of a missing object: %v, want plumbing.ErrObjectNotFound itself (go-git compares with ==)", err)
			}
			if ok, err := s.has(missing); ok || err != nil {
				t.Errorf("has of a missing object = %v, %v", ok, err)
			}
		})
	}
}

// A pack written while the store is open (a fetch, a push, git gc) is
// found at the first lookup that misses.
func TestObjectStoreFindsAPackAddedLater(t *testing.T) {
	t.Parallel()
	dir := historyRepo(t, 10)
	run(t, dir, "gc", "-q")
	s := checkStore(t, dir)
	head := otherCommit(t, dir, map[string]string{"apps/podinfo/deploy.yaml": "image: podinfo:6.1.0\n"}, "bump")
	run(t, dir, "repack", "-q", "-d")
	if loose := globT(t, dir, "objects/??/*"); len(loose) != 0 {
		t.Fatalf("loose objects left: %v", loose)
	}
	typ, data, err := s.read(plumbing.NewHash(head))
	if err != nil || typ != plumbing.CommitObject || !bytes.Contains(data, []byte("\n\nbump\n")) {
		t.Fatalf("read the new commit: %s %q %v", typ, data, err)
	}
	if n := len(s.packs); n != 2 {
		t.Errorf("the store reads %d packs, want 2", n)
	}
}

// A lookup in an index allocates nothing: the index is searched on disk,
// whatever its size.
func TestPackIndexLookupAllocatesNothing(t *testing.T) {
	dir := historyRepo(t, 30)
	run(t, dir, "gc", "-q")
	s := checkStore(t, dir)
	offsets, _ := packLayout(t, dir)
	var h plumbing.Hash
	for h = range offsets {
		break
	}
	idx := s.packs[0].idx
	if allocs := testing.AllocsPerRun(100, func() {
		if _, ok, _ := idx.find(h); !ok {
			t.Fatal("not found")
		}
	}); allocs != 0 {
		t.Errorf("a lookup allocates %v times", allocs)
	}
}

// A damaged pack is an error that marks the clone for repair.
func TestObjectStoreDamagedPack(t *testing.T) {
	t.Parallel()
	dir := historyRepo(t, 20)
	run(t, dir, "gc", "-q")
	objs := allObjects(t, dir)
	pack := globT(t, dir, "objects/pack/*.pack")[0]
	data, err := os.ReadFile(pack)
	if err != nil {
		t.Fatal(err)
	}
	for i := 12; i < len(data)-20; i++ { // every entry's bytes, not the header
		data[i] ^= 0x55
	}
	if err := os.Chmod(pack, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pack, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := newObjectStore(dir)
	defer s.close()
	for h := range objs {
		_, _, err := s.read(h)
		if err == nil || !isStorageDamage(err) {
			t.Fatalf("read %s of a damaged pack: %v, want an error isStorageDamage knows", h, err)
		}
		if !errors.Is(err, plumbing.ErrObjectNotFound) && !strings.Contains(err.Error(), filepath.Base(pack)) {
			t.Errorf("the error does not name the pack: %v", err)
		}
	}
}
