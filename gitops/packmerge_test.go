package gitops

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// packFDs counts this process's file descriptors open on files of dir.
func packFDs(t *testing.T, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			n++
		}
	}
	return n
}

// Pushes and fetches each add a pack: once they pile up the small packs
// are merged, every object stays readable, and git finds the clone sound.
func TestPushesAndFetchesMergeSmallPacks(t *testing.T) {
	t.Parallel()
	pushes := 2*maxSmallPacks + 4
	remote := newRemote(t, manyFiles())
	r, wd, logs := openLogged(t, remote)
	maxPacks := 0
	for i := range pushes {
		if i%12 == 6 { // another writer pushed: a fetch brings a pack
			otherCommit(t, remote, map[string]string{"other.txt": fmt.Sprintf("%d\n", i)}, fmt.Sprintf("other %d", i))
			if _, err := r.Fetch(testContext(t)); err != nil {
				t.Fatal(err)
			}
		}
		app := fmt.Sprintf("apps/app%02d/deployment.yaml", i%40)
		h, err := r.Commit(r.Head(), map[string][]byte{app: fmt.Appendf(nil, "replicas: %d\n", i)}, fmt.Sprintf("push %d\n", i), testAuthor, testTime)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Push(testContext(t), h); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
		if got := readFile(t, r, r.Head(), app); got != fmt.Sprintf("replicas: %d\n", i) {
			t.Fatalf("push %d: %s = %q", i, app, got)
		}
		maxPacks = max(maxPacks, len(globT(t, wd, "objects/pack/*.pack")))
	}
	if logs.String() != "" {
		t.Fatalf("logged: %s", logs.String())
	}
	// At most maxSmallPacks small ones, a merged one and the clone's.
	if maxPacks > maxSmallPacks+2 {
		t.Errorf("%d packs at most, want at most %d", maxPacks, maxSmallPacks+2)
	}
	checkClone(t, wd, r.Head(), pushes+pushes/12+1)
	if got := readFile(t, r, r.Head(), "other.txt"); got != fmt.Sprintf("%d\n", 6+12*((pushes-7)/12)) {
		t.Errorf("other.txt = %q", got)
	}
}

// 500 passes each write a pack, as a push does once the remote took it:
// the packs and their file descriptors stay few.
func TestPacksStayFewOver500Passes(t *testing.T) {
	const passes = 500
	r, wd, logs := openLogged(t, newRemote(t, manyFiles()))
	maxPacks, maxFDs := 0, 0
	h := r.Head()
	var err error
	for i := range passes {
		app := fmt.Sprintf("apps/app%02d/deployment.yaml", i%40)
		if h, err = r.Commit(h, map[string][]byte{app: fmt.Appendf(nil, "replicas: %d\n", i)}, fmt.Sprintf("pass %d\n", i), testAuthor, testTime); err != nil {
			t.Fatal(err)
		}
		if err := r.objs.persist(); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, r, h, app); got != fmt.Sprintf("replicas: %d\n", i) {
			t.Fatalf("pass %d: %s = %q", i, app, got)
		}
		maxPacks = max(maxPacks, len(globT(t, wd, "objects/pack/*.pack")))
		maxFDs = max(maxFDs, packFDs(t, wd))
	}
	if logs.String() != "" {
		t.Fatalf("logged: %s", logs.String())
	}
	if maxPacks > maxSmallPacks+2 {
		t.Errorf("%d packs at most, want at most %d", maxPacks, maxSmallPacks+2)
	}
	if maxFDs > 2*(maxSmallPacks+2) {
		t.Errorf("%d file descriptors on the clone at most, want at most %d", maxFDs, 2*(maxSmallPacks+2))
	}
	checkClone(t, wd, h, passes+1)
}

// openLogged opens remote in a fresh workdir, returned with the lines
// logged.
func openLogged(t *testing.T, remote string) (*Repo, string, *logLines) {
	t.Helper()
	logs := new(logLines)
	wd, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	wd = filepath.Join(wd, "wd")
	r, err := OpenRepo(testContext(t), RepoOptions{URL: remote, Branch: "main", Workdir: wd, Log: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r, wd, logs
}

// checkClone checks the clone in wd with git (fsck, verify-pack, commits
// up to head) and reads every object through a new store.
func checkClone(t *testing.T, wd string, head plumbing.Hash, commits int) {
	t.Helper()
	if tmp := globT(t, wd, "objects/pack/*tmp*"); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	run(t, wd, "fsck", "--strict", "--no-progress", head.String())
	for _, idx := range globT(t, wd, "objects/pack/*.idx") {
		run(t, wd, "verify-pack", idx)
	}
	if n := run(t, wd, "rev-list", "--count", head.String()); n != fmt.Sprint(commits) {
		t.Errorf("git rev-list counts %s commits, want %d", n, commits)
	}
	checkStore(t, wd) // every object as git reads it
}

func readFile(t *testing.T, r *Repo, commit plumbing.Hash, path string) string {
	t.Helper()
	s, err := r.Snapshot(commit)
	if err != nil {
		t.Fatal(err)
	}
	data, err := s.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
