package gitops

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gitEnv isolates the git CLI from the user's configuration.
var gitEnv = append(os.Environ(),
	"GIT_CONFIG_GLOBAL=/dev/null",
	"GIT_CONFIG_NOSYSTEM=1",
	"GIT_AUTHOR_NAME=Other Writer",
	"GIT_AUTHOR_EMAIL=other@example.com",
	"GIT_COMMITTER_NAME=Other Writer",
	"GIT_COMMITTER_EMAIL=other@example.com",
	"GIT_TERMINAL_PROMPT=0",
)

// run runs the git CLI in dir and returns its trimmed stdout.
func run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return runInput(t, dir, "", args...)
}

func runInput(t testing.TB, dir, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv
	cmd.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// newRemote makes a bare repository whose main branch has one commit with
// files, and returns its path.
func newRemote(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	bare := filepath.Join(root, "remote.git")
	run(t, root, "init", "-q", "--bare", "-b", "main", bare)
	otherCommit(t, bare, files, "Initial commit")
	return bare
}

// otherCommit plays another writer: it clones remote, applies files (an
// empty value deletes the file), commits and pushes. It returns the new head.
func otherCommit(t testing.TB, remote string, files map[string]string, msg string) string {
	t.Helper()
	work := t.TempDir()
	run(t, work, "init", "-q", "-b", "main")
	run(t, work, "remote", "add", "origin", remote)
	if run(t, work, "ls-remote", "origin", "refs/heads/main") != "" {
		run(t, work, "fetch", "-q", "origin", "main")
		run(t, work, "reset", "-q", "--hard", "FETCH_HEAD")
	}
	for name, content := range files {
		p := filepath.Join(work, name)
		if content == "" {
			run(t, work, "rm", "-q", name)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(t, work, "add", "-A")
	run(t, work, "commit", "-q", "-m", msg)
	run(t, work, "push", "-q", "origin", "HEAD:refs/heads/main")
	return run(t, work, "rev-parse", "HEAD")
}

// openTest opens remote in a fresh workdir and closes it with the test.
func openTest(t testing.TB, remote string) *Repo {
	t.Helper()
	r, err := OpenRepo(testContext(t), RepoOptions{URL: remote, Branch: "main", Workdir: filepath.Join(t.TempDir(), "wd")})
	if err != nil {
		t.Fatalf("OpenRepo: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var testAuthor = Signature{Name: "gitcanary", Email: "bot@example.com"}

// testTime is a fixed commit time.
var testTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
