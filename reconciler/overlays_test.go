package reconciler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/reconciler/machine"
)

// Overlays: staging and production share apps/base/podinfo; each has its
// own canary. The rule: a rollback reverts files in the canary's own folder
// only, never a shared base.

const overlays = "testdata/overlays"

func subjectsOf(w *world, ns string) []string {
	var out []string
	for _, line := range strings.Split(gitRun(w.t, w.remote, "log", "--reverse", "--format=%s%x09%(trailers:key=Canary,valueonly)", "main"), "\n") {
		subject, id, _ := strings.Cut(line, "\t")
		if strings.TrimSpace(id) == ns+"/podinfo" {
			out = append(out, subject)
		}
	}
	return out
}

func TestSharedBaseIsNeverRevertedForOneOverlay(t *testing.T) {
	w := newWorld(t, overlays)
	w.pass(0)
	w.setChecks(pass)
	w.checksOf = map[string][]machine.Check{"production/podinfo": fail}
	// CI bumps the shared base: both canaries start.
	w.ciCommit("bump podinfo in the base", func(dir string) {
		replaceIn(t, dir, "apps/base/podinfo/deployment.yaml", "podinfo:6.0.0", "podinfo:6.0.1")
	})
	for range 8 {
		w.pass(tick)
	}
	prod := subjectsOf(w, "production")
	if last := prod[len(prod)-1]; last != "Rolling back podinfo.production failed checks threshold reached 2" {
		t.Fatalf("production:\n%s", strings.Join(prod, "\n"))
	}
	rollback := gitRun(t, w.remote, "log", "-1", "--format=%B", "--grep=^Rolling back podinfo.production", "main")
	if !strings.Contains(rollback, "Not reverted: apps/base/podinfo/deployment.yaml changed since the promotion but lies outside apps/production") {
		t.Errorf("the rollback does not say why the base stays:\n%s", rollback)
	}
	if files := gitRun(t, w.remote, "log", "--format=", "--name-only", "--grep=^Rolling back podinfo.production", "main"); strings.Contains(files, "apps/base/") || strings.Contains(files, "apps/staging/") {
		t.Errorf("production's rollback changed files outside apps/production:\n%s", files)
	}
	if dep := w.show("main", "apps/base/podinfo/deployment.yaml"); !strings.Contains(dep, "podinfo:6.0.1") {
		t.Errorf("the shared base was reverted:\n%s", dep)
	}
	// Staging goes on undisturbed: no restart, promoted.
	stg := subjectsOf(w, "staging")
	for _, s := range stg {
		if strings.Contains(s, "Restarting") {
			t.Errorf("staging was restarted:\n%s", strings.Join(stg, "\n"))
		}
	}
	if last := stg[len(stg)-1]; last != "Promotion completed! Scaling down podinfo.staging" {
		t.Errorf("staging:\n%s", strings.Join(stg, "\n"))
	}
	// Production, failed at a revision it could not revert, is not retried
	// by itself.
	if res := w.pass(tick); res.Commits != 0 {
		t.Errorf("an idle pass committed:\n%s", strings.Join(w.subjects()[len(w.subjects())-res.Commits:], "\n"))
	}
}

func TestOverlayReleaseIsRevertedInTheOverlay(t *testing.T) {
	w := newWorld(t, overlays)
	w.pass(0)
	w.setChecks(pass)
	w.checksOf = map[string][]machine.Check{"production/podinfo": fail}
	// CI releases in production's own folder: a new patch file, wired in.
	w.ciCommit("release podinfo 6.0.1 in production", func(dir string) {
		patch := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\nspec:\n  template:\n    spec:\n      containers:\n        - name: podinfod\n          image: ghcr.io/stefanprodan/podinfo:6.0.1\n"
		if err := os.WriteFile(filepath.Join(dir, "apps/production/release.yaml"), []byte(patch), 0o644); err != nil {
			t.Fatal(err)
		}
		replaceIn(t, dir, "apps/production/kustomization.yaml", "resources:", "patches:\n  - path: release.yaml\nresources:")
		gitRun(t, dir, "add", "-A")
	})
	for range 6 {
		w.pass(tick)
	}
	prod := subjectsOf(w, "production")
	if last := prod[len(prod)-1]; last != "Rolling back podinfo.production failed checks threshold reached 2" {
		t.Fatalf("production:\n%s", strings.Join(prod, "\n"))
	}
	if k := w.show("main", "apps/production/kustomization.yaml"); strings.Contains(k, "release.yaml") {
		t.Errorf("the release patch is still wired in:\n%s", k)
	}
	if body := gitRun(t, w.remote, "log", "-1", "--format=%b", "main"); strings.Contains(body, "Not reverted") || strings.Contains(body, "The revert leaves") {
		t.Errorf("the revert was not complete:\n%s", body)
	}
	if stg := subjectsOf(w, "staging"); len(stg) != 1 {
		t.Errorf("staging moved:\n%s", strings.Join(stg, "\n"))
	}
	if res := w.pass(tick); res.Commits != 0 {
		t.Errorf("the reverted overlay started a canary")
	}
}
