package gitops

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenRepoClonesBareAndReopens(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{"apps/podinfo/kustomization.yaml": "resources: []\n"})
	wd := filepath.Join(t.TempDir(), "wd")
	ctx := testContext(t)

	r, err := OpenRepo(ctx, RepoOptions{URL: remote, Branch: "main", Workdir: wd})
	if err != nil {
		t.Fatal(err)
	}
	want := run(t, remote, "rev-parse", "main")
	if got := r.Head().String(); got != want {
		t.Fatalf("Head = %s, want %s", got, want)
	}
	// A bare clone: no worktree, objects readable by git.
	if _, err := os.Stat(filepath.Join(wd, "objects")); err != nil {
		t.Fatalf("workdir is not a bare repository: %v", err)
	}
	if got := run(t, wd, "rev-parse", "--is-bare-repository"); got != "true" {
		t.Fatalf("is-bare-repository = %s", got)
	}
	if got := run(t, wd, "rev-parse", "refs/remotes/origin/main"); got != want {
		t.Fatalf("tracking ref = %s, want %s", got, want)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	next := otherCommit(t, remote, map[string]string{"README.md": "hi\n"}, "Add readme")
	r, err = OpenRepo(ctx, RepoOptions{URL: remote, Branch: "main", Workdir: wd})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer r.Close()
	if got := r.Head().String(); got != next {
		t.Fatalf("Head after reopen = %s, want %s", got, next)
	}

	// Fetch with nothing new returns the same head; a new commit moves it.
	h, err := r.Fetch(ctx)
	if err != nil || h.String() != next {
		t.Fatalf("idle Fetch = %s, %v; want %s", h, err, next)
	}
	third := otherCommit(t, remote, map[string]string{"README.md": "hello\n"}, "Edit readme")
	if h, err = r.Fetch(ctx); err != nil || h.String() != third {
		t.Fatalf("Fetch = %s, %v; want %s", h, err, third)
	}
}

func TestOpenRepoRejectsOtherRepositoryAndForeignDir(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	a := newRemote(t, map[string]string{"a": "a\n"})
	b := newRemote(t, map[string]string{"b": "b\n"})
	wd := filepath.Join(t.TempDir(), "wd")
	r, err := OpenRepo(ctx, RepoOptions{URL: a, Branch: "main", Workdir: wd})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := OpenRepo(ctx, RepoOptions{URL: b, Branch: "main", Workdir: wd}); err == nil || !strings.Contains(err.Error(), "another repository") {
		t.Fatalf("reuse with another URL: err = %v", err)
	}

	foreign := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenRepo(ctx, RepoOptions{URL: a, Branch: "main", Workdir: foreign}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("foreign workdir: err = %v", err)
	}
}

func TestOpenRepoMissingBranch(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{"a": "a\n"})
	r, err := OpenRepo(testContext(t), RepoOptions{URL: remote, Branch: "nope", Workdir: filepath.Join(t.TempDir(), "wd")})
	if err != nil {
		t.Fatalf("OpenRepo on a missing branch: %v", err)
	}
	defer r.Close()
	if !r.Head().IsZero() {
		t.Fatalf("Head = %s, want zero", r.Head())
	}
	if _, err := r.Fetch(testContext(t)); !errors.Is(err, ErrBranchNotFound) {
		t.Fatalf("Fetch err = %v, want ErrBranchNotFound", err)
	}
}

func TestWorkdirLock(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{"a": "a\n"})
	wd := filepath.Join(t.TempDir(), "wd")
	ctx := testContext(t)
	r, err := OpenRepo(ctx, RepoOptions{URL: remote, Branch: "main", Workdir: wd})
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenRepo(ctx, RepoOptions{URL: remote, Branch: "main", Workdir: wd})
	if !errors.Is(err, ErrWorkdirLocked) {
		t.Fatalf("second OpenRepo err = %v, want ErrWorkdirLocked", err)
	}
	if !strings.Contains(err.Error(), wd) || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("lock error should name the dir and the owner pid: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r2, err := OpenRepo(ctx, RepoOptions{URL: remote, Branch: "main", Workdir: wd})
	if err != nil {
		t.Fatalf("OpenRepo after Close: %v", err)
	}
	r2.Close()
}

func TestTempWorkdirRemovedAndStaleSwept(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	remote := newRemote(t, map[string]string{"a": "a\n"})

	// A process that has exited leaves a temporary workdir behind.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(tmp, fmt.Sprintf("gitcanary-%d-123", cmd.Process.Pid))
	live := filepath.Join(tmp, fmt.Sprintf("gitcanary-%d-456", os.Getppid())) // our parent is alive
	other := filepath.Join(tmp, "gitcanary-notapid")
	for _, d := range []string{stale, live, other} {
		if err := os.MkdirAll(filepath.Join(d, "objects"), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	r, err := OpenRepo(testContext(t), RepoOptions{URL: remote, Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	dir := r.Dir()
	if !strings.HasPrefix(filepath.Base(dir), fmt.Sprintf("gitcanary-%d-", os.Getpid())) || filepath.Dir(dir) != tmp {
		t.Fatalf("temp workdir %s not named gitcanary-<pid>-* under %s", dir, tmp)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale workdir of a dead process was not swept: %v", err)
	}
	for _, d := range []string{live, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s must be kept: %v", d, err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("Close left the temporary workdir: %v", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts RepoOptions
		want string
	}{
		{"missing url", RepoOptions{Branch: "main"}, "repository URL is required"},
		{"bad branch", RepoOptions{URL: "x", Branch: "a..b"}, "invalid branch name"},
		{"missing token file", RepoOptions{URL: "x", Auth: AuthOptions{TokenFile: "/nonexistent/token"}}, "--git-token-file"},
		{"ok with defaults", RepoOptions{URL: "x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if tt.opts.Branch != "main" || tt.opts.Author != DefaultAuthor {
					t.Fatalf("defaults not applied: %+v", tt.opts)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSanitizeURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"https://x-access-token:s3cr3t@github.com/o/r.git": "https://redacted@github.com/o/r.git",
		"https://s3cr3t@github.com/o/r.git":                "https://redacted@github.com/o/r.git",
		"ssh://git:pw@host/r.git":                          "ssh://git@host/r.git",
		"git@github.com:o/r.git":                           "git@github.com:o/r.git",
		"/srv/git/r.git":                                   "/srv/git/r.git",
	}
	for in, want := range tests {
		if got := SanitizeURL(in); got != want {
			t.Errorf("SanitizeURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWorkdirUnlockedWhileAChildHoldsTheDescriptor: a process gitcanary
// forked to run git holds a copy of the lock's descriptor until it execs
// (here, for as long as it runs); closing the workdir must still free the
// lock, so that the same process can open it again at once.
func TestWorkdirUnlockedWhileAChildHoldsTheDescriptor(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, err := acquireWorkdir(dir)
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command("sleep", "30")
	child.ExtraFiles = []*os.File{w.lock}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	if err := w.release(); err != nil {
		t.Fatal(err)
	}
	again, err := acquireWorkdir(dir)
	if err != nil {
		t.Fatalf("reopen while a child holds a copy of the lock: %v", err)
	}
	_ = again.release()
}
