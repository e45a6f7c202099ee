package reconciler

import (
	"strings"
	"testing"
)

// TestBigPassPushesAsItGoes: a pass that commits for more canaries than one
// push may hold (here, one commit's worth) pushes as it goes. Every commit
// lands, each by its own update of the branch, and each transition is
// logged once, after its push.
func TestBigPassPushesAsItGoes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, monorepo(t, 4))
	gitRun(t, w.remote, "config", "core.logAllRefUpdates", "always")
	w.rec.opts.MaxPushBytes = 1
	res := w.pass(0)
	if res.Commits != 5 {
		t.Fatalf("first pass: %d commits, want 5", res.Commits)
	}
	subjects := gitRun(t, w.remote, "log", "--format=%s", "main")
	if n := strings.Count(subjects, "Initialization done!"); n != 5 {
		t.Fatalf("remote has %d initializations, want 5:\n%s", n, subjects)
	}
	// The reflog starts after the seed: one update per push.
	if updates := strings.Count(gitRun(t, w.remote, "reflog", "show", "--format=%H", "main"), "\n") + 1; updates != 5 {
		t.Errorf("the branch was updated %d times, want 5 (one push per commit)", updates)
	}
	if n := strings.Count(w.logs.String(), `"msg"="Initialization done!`); n != 5 {
		t.Errorf("%d initializations logged, want 5:\n%s", n, w.logs)
	}
	if res := w.pass(0); res.Commits != 0 {
		t.Errorf("the next pass made %d commits", res.Commits)
	}
}
