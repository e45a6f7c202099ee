package reconciler

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"

	"github.com/gitcanary/gitcanary/gitops"
)

// TestRollbackAfterHistoryRewrite: a force-push that removes a leaked
// secret rewrites every commit, so the status's lastPromotedCommit is gone.
// A failing canary is still rolled back, its target reverted to the
// rewritten commit that promoted the revision (found by its trailers). It
// used to fail every pass and keep its traffic.
func TestRollbackAfterHistoryRewrite(t *testing.T) {
	w := newWorld(t, fixture)
	w.ciCommit("oops: a token", func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, "token.txt"), []byte("ghp_leaked\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		gitRun(t, dir, "add", "token.txt")
	})
	w.pass(0)
	w.setChecks(pass)
	bumpImage(w, "6.0.1")
	for range 12 {
		w.pass(tick)
	}
	if got := w.subject(); got != "Promotion completed! Scaling down podinfo.test" {
		t.Fatalf("got %q", got)
	}
	promotedBefore := w.show("main", gen+"status.yaml")

	// The platform team removes the token from the whole history.
	gitRun(t, w.ci, "pull", "-q", "--ff-only")
	cmd := gitCmd(w.ci, "filter-branch", "-f", "--index-filter", "git rm -q --cached --ignore-unmatch token.txt", "HEAD")
	cmd.Env = append(cmd.Env, "FILTER_BRANCH_SQUELCH_WARNING=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("filter-branch: %v\n%s", err, out)
	}
	gitRun(t, w.ci, "push", "-q", "--force", "origin", "main")
	gitRun(t, w.remote, "reflog", "expire", "--expire=now", "--all")
	gitRun(t, w.remote, "gc", "-q", "--prune=now")

	// gitcanary restarts with a fresh clone, as a new pod would.
	opts := w.rec.opts
	opts.Repo.Workdir = filepath.Join(t.TempDir(), "work")
	repo, err := gitops.OpenRepo(context.Background(), opts.Repo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	log := funcr.New(func(prefix, args string) { w.logs.WriteString(args + "\n") }, funcr.Options{Verbosity: 1})
	w.rec, err = New(repo, opts, log, w.measureFunc, func() time.Time { return w.now })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runGit(w.remote, "cat-file", "-t", statusField(promotedBefore, "lastPromotedCommit")); err == nil {
		t.Fatal("the rewrite kept the promoted commit")
	}

	bumpImage(w, "6.0.2")
	w.setChecks(fail)
	for range 6 {
		w.pass(tick)
	}
	if got := w.subject(); got != "Rolling back podinfo.test failed checks threshold reached 2" {
		t.Fatalf("got %q\n%s", got, w.logs)
	}
	if dep := w.show("main", app+"deployment.yaml"); !strings.Contains(dep, "podinfo:6.0.1") {
		t.Errorf("the target was not reverted to the promoted 6.0.1:\n%s", dep)
	}
	if w.weights("main") != "100/0" {
		t.Errorf("weights %s", w.weights("main"))
	}
}

// statusField returns a top-level field of status.yaml's status.
func statusField(statusYAML, field string) string {
	for _, l := range strings.Split(statusYAML, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), field+": "); ok {
			return v
		}
	}
	return ""
}
