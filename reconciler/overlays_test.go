package reconciler

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/reconciler/machine"
	"github.com/gitcanary/gitcanary/templates"
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

// imagesOf is what the Deployment name of the app in dir runs at rev.
func imagesOf(w *world, rev, dir, ns, name string) string {
	w.t.Helper()
	d := findObject(w.appliedIn(rev, dir), "Deployment", name, ns)
	if d == nil {
		w.t.Fatalf("%s renders no Deployment %s at %s", dir, name, rev)
	}
	return strings.Join(templates.ContainerImages(d), ", ")
}

// commitOf is the newest commit of main whose subject is subject.
func commitOf(w *world, subject string) string {
	w.t.Helper()
	sha := gitRun(w.t, w.remote, "log", "-1", "--format=%H", "--fixed-strings", "--grep="+subject, "main")
	if sha == "" {
		w.t.Fatalf("no commit %q:\n%s", subject, strings.Join(w.subjects(), "\n"))
	}
	return sha
}

// passUntil runs passes until production's last subject is want.
func passUntil(w *world, want string) {
	w.t.Helper()
	for range 12 {
		w.pass(tick)
		if prod := subjectsOf(w, "production"); prod[len(prod)-1] == want {
			return
		}
	}
	w.t.Fatalf("production never reached %q:\n%s", want, strings.Join(subjectsOf(w, "production"), "\n"))
}

// CI releases production where `kustomize edit set image` and Flux image
// automation do: an images: entry of the overlay's kustomization, over the
// base staging shares. The canary runs the bump, the primary the promoted
// version until the promotion; a faulty bump is rolled back by putting the
// entry back; the base and staging never change; deleting the Canary hands
// the kustomization back with CI's entry and without gitcanary's.
func TestOverlayImagesEntryIsTheReleasePlace(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(overlays)); err != nil {
		t.Fatal(err)
	}
	replaceIn(t, dir, "apps/production/canary.yaml", "spec:\n", "spec:\n  revertOnDeletion: true\n")
	w := newWorld(t, dir)
	const (
		kust   = "apps/production/kustomization.yaml"
		prod   = "apps/production"
		v600   = "ghcr.io/stefanprodan/podinfo:6.0.0"
		v601   = "ghcr.io/stefanprodan/podinfo:6.0.1"
		wiring = "components:\n  - gitcanary/podinfo\ntransformers:\n  - gitcanary/podinfo/images.yaml\n"
		entry  = "images:\n  - name: ghcr.io/stefanprodan/podinfo\n    newTag: 6.0.1 # CI bumps this tag\n"
	)
	root := w.root()
	w.pass(0)
	initialized := gitRun(t, w.remote, "rev-parse", "main")
	wired := w.show("main", kust)
	if !strings.HasSuffix(wired+"\n", wiring) {
		t.Fatalf("initialization wired:\n%s", wired)
	}
	if p := w.show("main", prod+"/gitcanary/podinfo/primary.yaml"); !strings.Contains(p, "image: ghcr.io.gitcanary.invalid/stefanprodan/podinfo:6.0.0") {
		t.Errorf("primary.yaml does not hold the placeholder:\n%s", p)
	}
	if got := imagesOf(w, "main", prod, "production", "podinfo-primary"); got != v600 {
		t.Errorf("initialized primary runs %s, want %s", got, v600)
	}

	w.setChecks(pass)
	w.checksOf = map[string][]machine.Check{}
	// `kustomize edit set image ghcr.io/stefanprodan/podinfo:6.0.1` in
	// the overlay: a new images: entry, after gitcanary's wiring.
	w.ciCommit("production: set image podinfo 6.0.1", func(dir string) {
		replaceIn(t, dir, kust, "images.yaml\n", "images.yaml\n"+entry)
	})
	bumped := w.show("main", kust)
	passUntil(w, "Promotion completed! Scaling down podinfo.production")
	analysis := commitOf(w, "Starting canary analysis for podinfo.production")
	if got := imagesOf(w, analysis, prod, "production", "podinfo"); got != v601 {
		t.Errorf("during the analysis the canary runs %s, want %s", got, v601)
	}
	if got := imagesOf(w, analysis, prod, "production", "podinfo-primary"); got != v600 {
		t.Errorf("during the analysis the primary runs %s, want the promoted %s", got, v600)
	}
	if got := imagesOf(w, "main", prod, "production", "podinfo-primary"); got != v601 {
		t.Errorf("promoted, the primary runs %s, want %s", got, v601)
	}
	if k := w.show("main", kust); k != bumped {
		t.Errorf("the rollout changed the overlay's kustomization:\n%s\nwant:\n%s", k, bumped)
	}
	promoted := w.show("main", kust)

	// A faulty bump of the same entry is rolled back there.
	w.checksOf = map[string][]machine.Check{"production/podinfo": fail}
	w.ciCommit("production: set image podinfo 6.0.2", func(dir string) {
		replaceIn(t, dir, kust, "newTag: 6.0.1", "newTag: 6.0.2")
	})
	passUntil(w, "Rolling back podinfo.production failed checks threshold reached 2")
	if k := w.show("main", kust); k != promoted {
		t.Errorf("the rollback left the overlay's kustomization:\n%s\nwant it as promoted:\n%s", k, promoted)
	}
	if body := gitRun(t, w.remote, "log", "-1", "--format=%b", "main"); strings.Contains(body, "Not reverted") || strings.Contains(body, "The revert leaves") {
		t.Errorf("the revert was not complete:\n%s", body)
	}
	for _, name := range []string{"podinfo", "podinfo-primary"} {
		if got := imagesOf(w, "main", prod, "production", name); got != v601 {
			t.Errorf("rolled back, %s runs %s, want %s", name, got, v601)
		}
	}
	if res := w.pass(tick); res.Commits != 0 {
		t.Errorf("the reverted overlay started a canary: %s", w.subject())
	}

	// Staging and the base it shares were never touched.
	if diff := gitRun(t, w.remote, "diff", "--stat", root, "main", "--", "apps/base"); diff != "" {
		t.Errorf("production's rollouts changed the shared base:\n%s", diff)
	}
	if diff := gitRun(t, w.remote, "diff", "--stat", initialized, "main", "--", "apps/staging"); diff != "" {
		t.Errorf("production's rollouts changed staging:\n%s", diff)
	}
	if stg := subjectsOf(w, "staging"); len(stg) != 1 {
		t.Errorf("staging moved:\n%s", strings.Join(stg, "\n"))
	}
	for _, name := range []string{"podinfo", "podinfo-primary"} {
		if got := imagesOf(w, "main", "apps/staging", "staging", name); got != v600 {
			t.Errorf("staging's %s runs %s, want the base's %s", name, got, v600)
		}
	}

	// Deleted, the canary hands the overlay back: CI's entry stays,
	// gitcanary's wiring goes.
	w.ciCommit("delete production's canary", func(dir string) {
		if err := os.Remove(filepath.Join(dir, prod, "canary.yaml")); err != nil {
			t.Fatal(err)
		}
	})
	passUntil(w, "Terminated canary podinfo.production")
	want := strings.Replace(bumped, wiring, "", 1) // CI's file without gitcanary's entries
	if k := w.show("main", kust); k != want {
		t.Errorf("terminated, the overlay's kustomization is:\n%s\nwant:\n%s", k, want)
	}
	if files := gitRun(t, w.remote, "ls-tree", "-r", "--name-only", "main", prod); strings.Contains(files, "gitcanary/") {
		t.Errorf("the generated folder remains:\n%s", files)
	}
	if got := imagesOf(w, "main", prod, "production", "podinfo"); got != v601 {
		t.Errorf("terminated, production runs %s, want %s", got, v601)
	}
}

// A transformer the overlay lists after gitcanary's images transformer
// would rewrite the primary too: the render check refuses the commit and
// says which file and field to change.
func TestTransformerAfterGitcanarysIsRefused(t *testing.T) {
	w := newWorld(t, overlays)
	w.pass(0)
	before := len(w.subjects())
	w.ciCommit("production: pin podinfo 6.0.1 with a transformer", func(dir string) {
		pin := "apiVersion: builtin\nkind: ImageTagTransformer\nmetadata:\n  name: pin\nimageTag:\n  name: ghcr.io/stefanprodan/podinfo\n  newTag: 6.0.1\n"
		if err := os.WriteFile(filepath.Join(dir, "apps/production/pin.yaml"), []byte(pin), 0o644); err != nil {
			t.Fatal(err)
		}
		replaceIn(t, dir, "apps/production/kustomization.yaml", "  - gitcanary/podinfo/images.yaml\n", "  - gitcanary/podinfo/images.yaml\n  - pin.yaml\n")
		gitRun(t, dir, "add", "-A")
	})
	w.now = w.now.Add(tick)
	res, err := w.rec.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := `render check of apps/production: rendered Deployment podinfo-primary runs ghcr.io/stefanprodan/podinfo:6.0.1, but apps/production/gitcanary/podinfo/primary.yaml holds ghcr.io/stefanprodan/podinfo:6.0.0: apps/production/kustomization.yaml: transformers: an entry after "gitcanary/podinfo/images.yaml" rewrites the primary's images: list it before gitcanary's`
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), want) {
		t.Errorf("errors %v, want one with:\n%s", res.Errors, want)
	}
	if n := len(w.subjects()) - before - 1; n != 0 {
		t.Errorf("%d commits: %s", n, w.subject())
	}
}

// appsAppliedFromAbove is the fixture with Flux applying apps/, whose
// kustomization brings podinfo in and ends with extra.
func appsAppliedFromAbove(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	replaceIn(t, dir, "clusters/demo/apps.yaml", "path: ./apps/podinfo", "path: ./apps")
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - podinfo\n" + extra
	if err := os.WriteFile(filepath.Join(dir, "apps/kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// An images: entry further up, in a kustomization the Flux Kustomization
// applies above the app's folder, runs after gitcanary's transformer and is
// outside what a rollback may edit: refused, naming the file and entry.
func TestImagesEntryFurtherUpIsRefused(t *testing.T) {
	w := newWorld(t, appsAppliedFromAbove(t, "images:\n  - name: ghcr.io/stefanprodan/podinfo\n    newTag: 6.0.1\n"))
	res, err := w.rec.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := `apps/kustomization.yaml: images[0]: "ghcr.io/stefanprodan/podinfo" would also rewrite the generated podinfo-primary: Flux Kustomization flux-system/apps applies apps, whose transformers run after those of apps/podinfo; set the image in apps/podinfo/kustomization.yaml instead`
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), want) {
		t.Errorf("errors %v, want one with:\n%s", res.Errors, want)
	}
	if res.Commits != 0 {
		t.Errorf("%d commits: %s", res.Commits, w.subject())
	}
}

// A canary an earlier gitcanary initialized has a primary with real image
// names and no images transformer: it keeps working, and its next
// promotion writes the placeholders and wires the transformer in.
func TestPrimaryWithoutPlaceholdersIsUpgradedAtPromotion(t *testing.T) {
	w := newWorld(t, fixture)
	w.pass(0)
	w.ciCommit("podinfo as an earlier gitcanary initialized it", func(dir string) {
		replaceIn(t, dir, gen+"primary.yaml", "ghcr.io.gitcanary.invalid/", "ghcr.io/")
		replaceIn(t, dir, app+"kustomization.yaml", "transformers:\n  - gitcanary/podinfo/images.yaml\n", "")
		gitRun(t, dir, "rm", "-q", gen+"images.yaml")
	})
	if p := w.primaryRuns("main"); p != oldImage {
		t.Fatalf("the earlier primary runs %s", p)
	}
	bumpImage(w, "6.0.1")
	w.setChecks(pass)
	for range 12 {
		w.pass(tick)
	}
	if s := w.subject(); s != "Promotion completed! Scaling down podinfo.test" {
		t.Fatalf("last commit %q:\n%s", s, strings.Join(w.subjects(), "\n"))
	}
	copying := commitOf(w, "Copying podinfo.test template spec")
	if k := w.show(copying, app+"kustomization.yaml"); !strings.Contains(k, "transformers:\n  - gitcanary/podinfo/images.yaml") {
		t.Errorf("the promotion did not wire the images transformer in:\n%s", k)
	}
	if p := w.show(copying, gen+"primary.yaml"); !strings.Contains(p, "image: ghcr.io.gitcanary.invalid/stefanprodan/podinfo:6.0.1") {
		t.Errorf("the promoted primary.yaml holds no placeholder:\n%s", p)
	}
	if p := w.primaryRuns("main"); p != newImage {
		t.Errorf("promoted, the primary runs %s, want %s", p, newImage)
	}
}

// The same entry added further up once the canary rests is refused at the
// next pass: the kustomizations checked are inputs of the canary, so the
// idle canary is looked at again when one of them changes.
func TestImagesEntryFurtherUpAddedAtRestIsRefused(t *testing.T) {
	w := newWorld(t, appsAppliedFromAbove(t, ""))
	w.pass(0)
	if res := w.pass(tick); res.Commits != 0 {
		t.Fatalf("a pass at rest committed: %s", w.subject())
	}
	w.ciCommit("pin podinfo for all apps", func(dir string) {
		replaceIn(t, dir, "apps/kustomization.yaml", "  - podinfo\n", "  - podinfo\nimages:\n  - name: ghcr.io/stefanprodan/podinfo\n    newTag: 6.0.1\n")
	})
	w.now = w.now.Add(tick)
	res, err := w.rec.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := `apps/kustomization.yaml: images[0]: "ghcr.io/stefanprodan/podinfo" would also rewrite the generated podinfo-primary`
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), want) {
		t.Errorf("errors %v, want one with:\n%s", res.Errors, want)
	}
}
