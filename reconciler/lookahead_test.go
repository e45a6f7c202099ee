package reconciler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// firstPass runs the first pass over fixture, with or without the
// lookahead, and returns the world.
func firstPass(t *testing.T, fixture string, lookahead bool) *world {
	t.Helper()
	w := newWorld(t, fixture)
	w.rec.aheadOff = !lookahead
	w.pass(0)
	return w
}

// firstPasses runs the first pass over fixture with the lookahead and
// without it, and checks that the one with it initialized the fixture's n
// canaries.
func firstPasses(t *testing.T, fixture string, n int) (with, without *world) {
	t.Helper()
	with, without = firstPass(t, fixture, true), firstPass(t, fixture, false)
	if got := len(with.subjects()); got != n+1 {
		t.Fatalf("%d commits, want the fixture's and %d initializations:\n%s", got, n, strings.Join(with.subjects(), "\n"))
	}
	return with, without
}

// sameOutcome checks that two worlds' remotes hold the same commits: the
// same subjects and changes, commit for commit (with each world's commit
// hashes, which the statuses name, replaced by their place in the log: the
// fixture's commit differs by its time).
func sameOutcome(t *testing.T, got, want *world) {
	t.Helper()
	g, w := history(t, got), history(t, want)
	if g != w {
		t.Errorf("history with the lookahead:\n%s\nwithout:\n%s", g, w)
	}
}

// history is the remote's log with every change, its commit hashes
// replaced by C0 (the newest), C1... (and without the diffs' blob hashes).
func history(t *testing.T, w *world) string {
	t.Helper()
	var kept []string
	for _, l := range strings.Split(gitRun(t, w.remote, "log", "-p", "--format=%s", "main"), "\n") {
		if !strings.HasPrefix(l, "index ") {
			kept = append(kept, l)
		}
	}
	out := strings.Join(kept, "\n")
	for i, h := range strings.Fields(gitRun(t, w.remote, "log", "--format=%H", "main")) {
		out = strings.ReplaceAll(out, h, fmt.Sprintf("C%d", i))
		out = strings.ReplaceAll(out, h[:7], fmt.Sprintf("C%d", i))
	}
	return out
}

// The first pass over many canaries observes the ones ahead while it
// commits: every observation but the first render's is made ahead and
// used, and the commits are those of a pass without the lookahead, tree
// for tree.
func TestLookaheadObservesTheCanariesAhead(t *testing.T) {
	repo := monorepo(t, 5) // 6 canaries, one app each
	with, without := firstPasses(t, repo, 6)
	if with.rec.renders != 6 || with.rec.aheadUsed != 5 {
		t.Errorf("with the lookahead: %d observations, %d of them made ahead; want 6 and 5", with.rec.renders, with.rec.aheadUsed)
	}
	if without.rec.aheadUsed != 0 {
		t.Errorf("without the lookahead, %d observations were made ahead", without.rec.aheadUsed)
	}
	sameOutcome(t, with, without)
}

// An observation made ahead whose inputs an earlier commit of the pass
// changed is not used: two canaries of one app share its kustomization,
// which the first one's initialization wires, so the second is observed
// again on that commit.
func TestLookaheadObservationOfChangedInputsIsNotUsed(t *testing.T) {
	repo := monorepo(t, 1) // apps/podinfo (test/podinfo) and apps/app-000
	app := filepath.Join(repo, "apps", "podinfo")
	dep, err := os.ReadFile(filepath.Join(app, "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	backend := strings.NewReplacer("name: podinfo\n", "name: backend\n", "app: podinfo\n", "app: backend\n", "podinfo-config", "backend-config").Replace(string(dep))
	writeFile(t, filepath.Join(app, "backend.yaml"), backend)
	cm, err := os.ReadFile(filepath.Join(app, "configmap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(app, "backend-config.yaml"), strings.ReplaceAll(string(cm), "podinfo-config", "backend-config"))
	replaceIn(t, app, "kustomization.yaml", "  - configmap.yaml\n", "  - configmap.yaml\n  - backend.yaml\n  - backend-config.yaml\n")
	can, err := os.ReadFile(filepath.Join(app, "canary.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	other := strings.NewReplacer("  name: podinfo\n", "  name: backend\n", "    name: podinfo\n", "    name: backend\n", "app.example.com", "backend.example.com").Replace(string(can))
	writeFile(t, filepath.Join(app, "canary-backend.yaml"), other)

	with, without := firstPasses(t, repo, 3)
	// The pass renders ns-000/podinfo first; it observes test/backend and
	// test/podinfo ahead. test/backend's is used; its commit wires
	// apps/podinfo/kustomization.yaml, an input of test/podinfo.
	if with.rec.renders != 3 || with.rec.aheadUsed != 1 {
		t.Errorf("with the lookahead: %d observations, %d of them made ahead and used; want 3 and 1", with.rec.renders, with.rec.aheadUsed)
	}
	sameOutcome(t, with, without)
	for _, name := range []string{"podinfo", "backend"} {
		if got := with.show("main", "apps/podinfo/kustomization.yaml"); !strings.Contains(got, "gitcanary/"+name) {
			t.Errorf("the kustomization does not wire %s's component:\n%s", name, got)
		}
	}
}

func writeFile(t *testing.T, p, data string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A panic of the lookahead's goroutine (a bug met by some input) does not
// take the process down: that observation is not made ahead, and the pass
// observes the canary itself.
func TestLookaheadPanicIsAnObservationNotMade(t *testing.T) {
	repo := monorepo(t, 3) // 4 canaries
	w := newWorld(t, repo)
	w.rec.lookObserve = func(ctx context.Context, snap *gitops.Snapshot, fsys *gitops.FS, c *api.Canary) (*observed, error) {
		if c.Metadata.Namespace == "ns-001" {
			panic("boom")
		}
		return w.rec.observe(ctx, snap, fsys, c)
	}
	res := w.pass(0) // fails the test on any error
	if res.Commits != 4 {
		t.Fatalf("%d commits, want 4", res.Commits)
	}
	if w.rec.renders != 4 || w.rec.aheadUsed != 2 {
		t.Errorf("%d observations, %d made ahead and used; want 4 and 2", w.rec.renders, w.rec.aheadUsed)
	}
}
