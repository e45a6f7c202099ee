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

// TestPassOverTheSameTreeDoesNotWalkIt: a pass whose fetch brings nothing
// new reuses the last scan of that tree (no walk, no placing, no chart
// render); a commit makes the next pass walk again.
func TestPassOverTheSameTreeDoesNotWalkIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t, fixture)
	w.pass(0) // initialization: walks the seed, then its own commit
	walks := w.rec.scanner.walks
	for range 3 {
		if res := w.pass(0); res.Commits != 0 || res.Canaries != 1 {
			t.Fatalf("idle pass: %d commits over %d canaries", res.Commits, res.Canaries)
		}
	}
	if n := w.rec.scanner.walks - walks; n > 1 {
		t.Errorf("three passes over the same tree walked it %d times, want at most once", n)
	}
	bumpImage(w, "6.0.1")
	walks = w.rec.scanner.walks
	if res := w.pass(0); res.Commits != 1 {
		t.Fatalf("the pass after a bump made %d commits, want 1", res.Commits)
	}
	if w.rec.scanner.walks == walks {
		t.Error("the pass after a bump did not walk the new tree")
	}
}
