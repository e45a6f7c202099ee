package gitops

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
)

// logLines is a logr.Logger that keeps its lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.lines = append(l.lines, args)
	}, funcr.Options{})
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// manyFiles is an app with enough files that git packs them.
func manyFiles() map[string]string {
	files := map[string]string{}
	for i := range 40 {
		files[fmt.Sprintf("apps/app%02d/deployment.yaml", i)] = fmt.Sprintf("kind: Deployment\nmetadata:\n  name: app%02d\nspec:\n  replicas: %d\n", i, i)
	}
	return files
}

// truncatePacks cuts every pack file of the clone in wd to half its size.
func truncatePacks(t *testing.T, wd string) {
	t.Helper()
	packs, err := filepath.Glob(filepath.Join(wd, "objects", "pack", "pack-*.pack"))
	if err != nil || len(packs) == 0 {
		t.Fatalf("no pack in %s: %v", wd, err)
	}
	for _, p := range packs {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, fi.Size()/2); err != nil {
			t.Fatal(err)
		}
	}
}

// readAll reads every file of the head snapshot.
func readAll(r *Repo) (map[string]string, error) {
	s, err := r.Snapshot(r.Head())
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	err = s.Walk(func(p string, _ plumbing.Hash) error {
		data, err := s.ReadFile(p)
		out[p] = string(data)
		return err
	})
	return out, err
}

// assertContent checks that r reads the files of the remote's head.
func assertContent(t *testing.T, r *Repo, want map[string]string) {
	t.Helper()
	got, err := readAll(r)
	if err != nil {
		t.Fatalf("reading the head after repair: %v", err)
	}
	for p, w := range want {
		if got[p] != w {
			t.Fatalf("%s = %q, want %q", p, got[p], w)
		}
	}
}

// openManyFiles opens a remote holding manyFiles in a persistent workdir.
func openManyFiles(t *testing.T) (map[string]string, string, *Repo) {
	t.Helper()
	files := manyFiles()
	remote := newRemote(t, files)
	r, err := OpenRepo(testContext(t), RepoOptions{URL: remote, Branch: "main", Workdir: filepath.Join(t.TempDir(), "wd")})
	if err != nil {
		t.Fatal(err)
	}
	return files, remote, r
}

func TestTruncatedPackInWorkdirIsRepairedAtOpen(t *testing.T) {
	t.Parallel()
	files, remote, r := openManyFiles(t)
	wd, ctx := r.Dir(), testContext(t)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	truncatePacks(t, wd)

	var logs logLines
	r, err := OpenRepo(ctx, RepoOptions{URL: remote, Branch: "main", Workdir: wd, Log: logs.logger()})
	if err != nil {
		t.Fatalf("OpenRepo over a truncated pack: %v", err)
	}
	defer r.Close()
	assertContent(t, r, files)
	if !strings.Contains(logs.String(), "damaged: cloning again") || !strings.Contains(logs.String(), "checksum mismatch") {
		t.Errorf("the repair was not logged with its cause:\n%s", logs.String())
	}
	if err := r.Verify(); err != nil {
		t.Fatalf("Verify after repair: %v", err)
	}
	run(t, wd, "fsck", "--no-progress") // git agrees
	if _, err := os.Stat(filepath.Join(wd, lockFileName)); err != nil {
		t.Fatalf("the repair lost the workdir lock file: %v", err)
	}
}

func TestPackTruncatedWhileRunningIsRepairedAtNextFetch(t *testing.T) {
	t.Parallel()
	files := manyFiles()
	remote := newRemote(t, files)
	var logs logLines
	r, err := OpenRepo(testContext(t), RepoOptions{URL: remote, Branch: "main", Workdir: filepath.Join(t.TempDir(), "wd"), Log: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	truncatePacks(t, r.Dir())

	// The pass that meets the damage fails, saying what it is: not the
	// repository's content but gitcanary's clone.
	_, err = readAll(r)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "cloned again at the next fetch") {
		t.Fatalf("reading a truncated pack = %v, want ErrCorrupt", err)
	}
	// The next pass's fetch clones again.
	head, err := r.Fetch(testContext(t))
	if err != nil {
		t.Fatalf("Fetch over a damaged clone: %v", err)
	}
	if want := run(t, remote, "rev-parse", "main"); head.String() != want {
		t.Fatalf("Fetch = %s, want %s", head, want)
	}
	assertContent(t, r, files)
	if !strings.Contains(logs.String(), "damaged: cloning again") {
		t.Errorf("the repair was not logged:\n%s", logs.String())
	}
}

func TestMissingObjectInWorkdirIsRepaired(t *testing.T) {
	t.Parallel()
	files, remote, r := openManyFiles(t)
	wd, ctx := r.Dir(), testContext(t)
	// gitcanary's own commits are written to the workdir as one packfile
	// once pushed; losing that pack loses the commit's objects.
	const path = "apps/app07/status.yaml"
	packs := func() map[string]bool {
		names, err := filepath.Glob(filepath.Join(wd, "objects", "pack", "pack-*"))
		if err != nil {
			t.Fatal(err)
		}
		set := map[string]bool{}
		for _, n := range names {
			set[n] = true
		}
		return set
	}
	before := packs()
	tip, err := r.Commit(r.Head(), map[string][]byte{path: []byte("phase: Progressing\n")}, "Advance\n", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Push(ctx, tip); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	removed := 0
	for n := range packs() {
		if !before[n] {
			if err := os.Remove(n); err != nil {
				t.Fatal(err)
			}
			removed++
		}
	}
	if removed == 0 {
		t.Fatal("the push wrote no packfile into the workdir")
	}

	r, err = OpenRepo(ctx, RepoOptions{URL: remote, Branch: "main", Workdir: wd})
	if err != nil {
		t.Fatalf("OpenRepo with a missing object: %v", err)
	}
	defer r.Close()
	files[path] = "phase: Progressing\n"
	assertContent(t, r, files)
}
