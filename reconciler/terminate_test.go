package reconciler

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

const terminated = "Terminated canary podinfo.test"

// revertOnDeletion turns the flag on in the canary of dir (a fixture copy
// or the CI clone).
func revertOnDeletion(t *testing.T, dir string) {
	t.Helper()
	replaceIn(t, dir, app+"canary.yaml", "spec:\n", "spec:\n  revertOnDeletion: true\n")
}

// revertingFixture is a copy of the fixture whose canary has
// revertOnDeletion set from the start.
func revertingFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	revertOnDeletion(t, dir)
	return dir
}

// deleteCanary deletes the Canary file, as its owner would.
func deleteCanary(w *world) {
	w.ciCommit("delete the podinfo canary", func(dir string) {
		if err := os.Remove(filepath.Join(dir, app, "canary.yaml")); err != nil {
			w.t.Fatal(err)
		}
	})
}

// renderedYAML is what Flux applies of the app at rev, one string, its
// objects sorted (a chart's render order is Helm's, not the file's).
func (w *world) renderedYAML(rev string) string {
	w.t.Helper()
	var docs []string
	for _, o := range w.applied(rev) {
		docs = append(docs, o.MustString())
	}
	slices.Sort(docs)
	return strings.Join(docs, "---\n")
}

// root is the first commit: the app as its owner wrote it.
func (w *world) root() string {
	return gitRun(w.t, w.remote, "rev-list", "--max-parents=0", "main")
}

// checkTerminated checks the last commit is the one termination commit and
// that the app renders as before, the state at rev before the canary
// was added: same objects, the target serving, no generated folder.
func checkTerminated(t *testing.T, w *world, before string) {
	t.Helper()
	if s := w.subject(); s != terminated {
		t.Fatalf("last commit %q, want %q; history:\n%s", s, terminated, strings.Join(w.subjects(), "\n"))
	}
	msg := gitRun(t, w.remote, "log", "-1", "--format=%B", "main")
	for _, want := range []string{"Canary: test/podinfo", "Canary-Phase: Terminated", "Canary-Weight: 0"} {
		if !strings.Contains(msg, want) {
			t.Errorf("termination commit lacks %q:\n%s", want, msg)
		}
	}
	files := gitRun(t, w.remote, "ls-tree", "-r", "--name-only", "main", app)
	if strings.Contains(files, "gitcanary/") {
		t.Errorf("the generated folder remains:\n%s", files)
	}
	if k, kust := w.show("main", app+"kustomization.yaml"), w.show(w.root(), app+"kustomization.yaml"); k != kust {
		t.Errorf("kustomization.yaml:\n%s\nwant as before gitcanary (comments kept):\n%s", k, kust)
	}
	if got := w.renderedYAML("main"); got != before {
		t.Errorf("the app renders otherwise than before the canary:\n%s\nwant:\n%s", got, before)
	}
	if res := w.pass(tick); res.Commits != 0 {
		t.Errorf("a pass after the termination committed: %s", w.subject())
	}
}

// Deleting a Canary with revertOnDeletion at rest makes one commit that
// hands the app back: the flag was set after initialization (read from the
// last commit that held the Canary), and the app renders as it did before
// gitcanary took it over.
func TestTerminatedAtRest(t *testing.T) {
	w := newWorld(t, fixture)
	before := w.renderedYAML("main")
	w.pass(0)
	if !strings.Contains(w.renderedYAML("main"), "name: podinfo-primary") {
		t.Fatal("no primary after initialization")
	}
	w.ciCommit("revert podinfo on deletion", func(dir string) { revertOnDeletion(t, dir) })
	if res := w.pass(tick); res.Commits != 0 {
		t.Fatalf("a spec change at rest committed: %s", w.subject())
	}
	deleteCanary(w)
	if res := w.pass(tick); res.Commits != 1 {
		t.Fatalf("deletion: %d commits", res.Commits)
	}
	checkTerminated(t, w, before)
	dep := findObject(w.applied("main"), "Deployment", "podinfo", "test")
	if r, _ := dep.Pipe(yaml.Lookup("spec", "replicas")); r == nil || r.YNode().Value != "2" {
		t.Errorf("the user's Deployment does not serve at its replicas:\n%s", dep.MustString())
	}
}

// A canary deleted mid-rollout terminates at once: traffic is the user's
// Deployment's, at the version its file holds, as with Flagger.
func TestTerminatedMidRollout(t *testing.T) {
	w := newWorld(t, revertingFixture(t))
	w.pass(0)
	bumpImage(w, "6.0.1")
	w.setChecks(pass)
	for range 3 {
		w.pass(tick)
	}
	if got := w.weights("main"); got == "100/0" {
		t.Fatalf("no rollout under way: %s", strings.Join(w.subjects(), "\n"))
	}
	// The app as its owner wrote it (before gitcanary), at the new version.
	before := strings.Replace(w.renderedYAML(w.root()), oldImage, newImage, 1)
	deleteCanary(w)
	w.pass(tick)
	checkTerminated(t, w, before)
}

// Deleted without revertOnDeletion: no commit, one warning, and the app
// keeps serving from the primary rather than from a target at zero.
func TestDeletedWithoutRevertOnDeletion(t *testing.T) {
	w := newWorld(t, fixture)
	before := w.renderedYAML("main")
	w.pass(0)
	deleteCanary(w)
	for range 2 {
		if res := w.pass(tick); res.Commits != 0 {
			t.Fatalf("deletion without the flag committed: %s", w.subject())
		}
	}
	if n := strings.Count(w.logs.String(), "spec.revertOnDeletion was not set"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, w.logs)
	}
	objs := w.applied("main")
	if findObject(objs, "Deployment", "podinfo-primary", "test") == nil {
		t.Error("the primary no longer serves")
	}
	// What the warning advises: put it back with the flag, delete it again.
	w.ciCommit("put the podinfo canary back, reverted on deletion", func(dir string) {
		gitRun(t, dir, "checkout", "HEAD~1", "--", app+"canary.yaml")
		revertOnDeletion(t, dir)
	})
	if res := w.pass(tick); res.Commits != 0 {
		t.Fatalf("the canary put back committed: %s", w.subject())
	}
	deleteCanary(w)
	w.pass(tick)
	checkTerminated(t, w, before)
}

// A HelmRelease app deleted with revertOnDeletion: the user's release is
// no longer scaled to zero, and the primary release is gone.
func TestHelmReleaseTerminated(t *testing.T) {
	dir := helmGitDir(t)
	revertOnDeletion(t, dir)
	w := newWorld(t, dir)
	before := w.renderedYAML("main")
	w.pass(0)
	if c := findObject(w.applied("main"), "Deployment", "podinfo", "test"); c == nil || !strings.Contains(c.MustString(), "replicas: 0") {
		t.Fatalf("the user's release is not scaled down: %v", c)
	}
	deleteCanary(w)
	w.pass(tick)
	checkTerminated(t, w, before)
	objs := w.applied("main")
	if findObject(objs, "HelmRelease", "podinfo-primary", "test") != nil {
		t.Error("the primary HelmRelease remains")
	}
	if c := findObject(objs, "Deployment", "podinfo", "test"); c == nil || strings.Contains(c.MustString(), "replicas: 0") {
		t.Errorf("the user's release is still scaled down: %v", c)
	}
}

// Deleting the Canary document from a file that holds others terminates it
// as deleting the file does.
func TestTerminatedCanaryDocument(t *testing.T) {
	dir := revertingFixture(t)
	const other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo-notes\n  namespace: test\ndata:\n  owner: team-blue\n"
	canary, err := os.ReadFile(filepath.Join(dir, app, "canary.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, app, "canary.yaml"), append(canary, "---\n"+other...), 0o644); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, dir)
	before := w.renderedYAML("main")
	w.pass(0)
	w.ciCommit("delete the podinfo canary, keep the notes", func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, app, "canary.yaml"), []byte(other), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	w.pass(tick)
	checkTerminated(t, w, before)
}

// A CI push that lands while gitcanary pushes its termination commit is
// kept: the remote's pre-receive hook pushes it between gitcanary's
// decision and its ref update, so git rejects gitcanary's push (its old
// value is stale), and gitcanary fetches, decides again on top of the CI
// commit and terminates once.
func TestTerminationRacesACIPush(t *testing.T) {
	w := newWorld(t, revertingFixture(t))
	before := w.renderedYAML("main")
	w.pass(0)
	deleteCanary(w)

	mark := filepath.Join(t.TempDir(), "raced")
	t.Cleanup(func() {
		if out, err := os.ReadFile(mark + ".log"); err == nil && t.Failed() {
			t.Logf("the CI push in the hook:\n%s", out)
		}
	})
	hook := `#!/bin/sh
# The first push after this hook is armed (gitcanary's) waits for a CI push.
[ -e "$MARK" ] && exit 0
touch "$MARK"
cd "$CI" || exit 1
env -i PATH="$PATH" HOME="$HOME" MARK="$MARK" GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 \
  GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.com GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@example.com \
  sh -ec 'git pull -q --ff-only
    sed -i "s/interval: 1m/interval: 5m/" clusters/demo/apps.yaml
    git commit -qam "unrelated change by a human"
    git push -q origin main' >"$MARK.log" 2>&1 || { cat "$MARK.log" >&2; exit 1; }
`
	hookPath := filepath.Join(w.remote, "hooks", "pre-receive")
	if err := os.WriteFile(hookPath, []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MARK", mark)
	t.Setenv("CI", w.ci)

	res := w.pass(tick)
	if _, err := os.Stat(mark); err != nil {
		t.Fatalf("the hook did not run: %v\nlogs:\n%s", err, w.logs)
	}
	if res.Commits != 1 {
		t.Fatalf("after the conflict: %+v\n%s", res, w.logs)
	}
	got := w.subjects()
	if got[len(got)-2] != "unrelated change by a human" || got[len(got)-1] != terminated {
		t.Errorf("history:\n%s", strings.Join(got, "\n"))
	}
	if n := strings.Count(strings.Join(got, "\n"), terminated); n != 1 {
		t.Errorf("%d termination commits, want 1", n)
	}
	if merges := gitRun(t, w.remote, "rev-list", "--merges", "main"); merges != "" {
		t.Errorf("history is not linear: %s", merges)
	}
	if !strings.Contains(w.logs.String(), "push rejected") {
		t.Errorf("the conflict was not logged:\n%s", w.logs)
	}
	if apps := w.show("main", "clusters/demo/apps.yaml"); !strings.Contains(apps, "interval: 5m") {
		t.Errorf("the CI commit's change is lost:\n%s", apps)
	}
	checkTerminated(t, w, before)
}
