package reconciler

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/fixtures"
	"github.com/gitcanary/gitcanary/fixtures/helmrepo"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/machine"
)

// helmWorld is a config repository whose podinfo is a Flux HelmRelease of
// the chart at charts/podinfo of the same repository (a GitRepository
// source), as in Flagger's Helm docs: CI bumps values.image.tag.
func helmWorld(t *testing.T) *world {
	t.Helper()
	return newWorld(t, helmGitDir(t))
}

// helmGitDir is a copy of testdata/helm-git with the chart at
// charts/podinfo.
func helmGitDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/helm-git")); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(dir, "charts"), fixtures.Charts()); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runTo runs passes with the checks given and fails unless the last commit
// has the subject last; it returns the history.
func (w *world) runTo(checks []machine.Check, passes int, last string) []string {
	w.t.Helper()
	w.setChecks(checks)
	for range passes {
		w.pass(tick)
	}
	got := w.subjects()
	if got[len(got)-1] != last {
		w.t.Fatalf("history:\n%s\nwant last: %s", strings.Join(got, "\n"), last)
	}
	return got
}

const (
	promoted   = "Promotion completed! Scaling down podinfo.test"
	rolledBack = "Rolling back podinfo.test failed checks threshold reached 2"
)

const helmRelease = app + "helmrelease.yaml"

func bumpValues(w *world, from, to string) {
	w.ciCommit("bump podinfo to "+to, func(dir string) {
		replaceIn(w.t, dir, helmRelease, "tag: "+from+" # bumped by CI", "tag: "+to+" # bumped by CI")
	})
}

func TestHelmReleaseFromGitIsPromotedAndRolledBack(t *testing.T) {
	w := helmWorld(t)
	if res := w.pass(0); res.Commits != 1 {
		t.Fatalf("init: %d commits", res.Commits)
	}
	// Git keeps intent: the primary is a HelmRelease, not rendered output.
	p := w.show("main", gen+"primary.yaml")
	for _, want := range []string{"kind: HelmRelease", "name: podinfo-primary", "releaseName: podinfo-primary", "chart: ./charts/podinfo", "tag: 6.0.0", "message: hello"} {
		if !strings.Contains(p, want) {
			t.Errorf("primary.yaml lacks %q:\n%s", want, p)
		}
	}
	if strings.Contains(p, "kind: Deployment\n") && !strings.Contains(p, "patch:") {
		t.Errorf("primary.yaml holds rendered output:\n%s", p)
	}
	patch := w.show("main", gen+"release-patch.yaml")
	if !strings.Contains(patch, "/spec/replicas") || !strings.Contains(patch, "value: 0") {
		t.Errorf("the user's HelmRelease is not scaled down by a post-renderer:\n%s", patch)
	}

	bumpValues(w, "6.0.0", "6.0.1")
	w.setChecks(pass)
	for range 8 {
		w.pass(tick)
	}
	want := []string{
		"podinfo app",
		"Initialization done! podinfo.test",
		"bump podinfo to 6.0.1",
		"New revision detected! Scaling up podinfo.test",
		"Starting canary analysis for podinfo.test",
		"Advance podinfo.test canary weight 50",
		"Copying podinfo.test template spec to podinfo-primary.test",
		"Routing all traffic to primary",
		"Promotion completed! Scaling down podinfo.test",
	}
	if got := w.subjects(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The promotion copies the values into the primary HelmRelease.
	diff := gitRun(t, w.remote, "show", "--format=", "main~2", "--", gen+"primary.yaml")
	if !strings.Contains(diff, "-      tag: 6.0.0") || !strings.Contains(diff, "+      tag: 6.0.1") {
		t.Errorf("promotion commit does not bump the primary's values:\n%s", diff)
	}
	if p := w.show("main~3", gen+"primary.yaml"); !strings.Contains(p, "tag: 6.0.0") {
		t.Errorf("primary changed before promotion:\n%s", p)
	}

	// A faulty version is rolled back: its values reverted in the user's
	// file, comments kept.
	bumpValues(w, "6.0.1", "6.0.2")
	w.runTo(fail, 6, rolledBack)
	hr := w.show("main", helmRelease)
	if !strings.Contains(hr, "tag: 6.0.1 # bumped by CI") || !strings.Contains(hr, "# podinfo, from the chart in this repository") {
		t.Errorf("the values were not reverted with comments kept:\n%s", hr)
	}
	if files := gitRun(t, w.remote, "show", "--format=", "--name-only", "main"); !strings.Contains(files, helmRelease) {
		t.Errorf("the rollback did not touch %s:\n%s", helmRelease, files)
	}
	if res := w.pass(tick); res.Commits != 0 {
		t.Errorf("the reverted release started a canary")
	}
}

// repoWorld is a config repository whose podinfo is a HelmRelease of the
// chart a local Helm repository serves at 6.0.0, 6.0.1 and 6.1.0 (the
// chart's image tag is its version), over HTTP or OCI; with operator, a
// Helm Operator (helm.fluxcd.io/v1) HelmRelease of it.
func repoWorld(t *testing.T, oci, operator bool, extra ...helmrepo.Chart) (*world, *helmrepo.Server) {
	t.Helper()
	charts := extra
	for _, v := range []string{"6.0.0", "6.0.1", "6.1.0"} {
		c, err := helmrepo.Package(fixtures.Charts(), "podinfo", v)
		if err != nil {
			t.Fatal(err)
		}
		charts = append(charts, c)
	}
	s, err := helmrepo.Start("127.0.0.1:0", charts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/helm-repo")); err != nil {
		t.Fatal(err)
	}
	url := s.URL
	if oci {
		url = s.OCI
		replaceIn(t, dir, "clusters/demo/sources.yaml", "url: URL", "type: oci\n  insecure: true\n  url: URL")
	}
	replaceIn(t, dir, "clusters/demo/sources.yaml", "URL", url)
	op := filepath.Join(dir, app, "helmrelease-operator.yaml")
	if operator {
		replaceIn(t, dir, app+"helmrelease-operator.yaml", "URL", s.URL)
		if err := os.Rename(op, filepath.Join(dir, helmRelease)); err != nil {
			t.Fatal(err)
		}
	} else if err := os.Remove(op); err != nil {
		t.Fatal(err)
	}
	return newWorld(t, dir), s
}

func bumpChart(w *world, from, to string) {
	w.ciCommit("bump podinfo to "+to, func(dir string) {
		replaceIn(w.t, dir, helmRelease, "version: "+from+" # bumped by CI", "version: "+to+" # bumped by CI")
	})
}

// A chart version bump of a HelmRelease from a Helm repository (HTTP, OCI;
// helm-controller's and Helm Operator's) is promoted: the primary pins the
// promoted version with the values of valuesFrom inlined; a faulty version
// is rolled back, the version reverted in the user's file.
func TestHelmRepositoryReleaseIsPromotedAndRolledBack(t *testing.T) {
	for _, tt := range []struct {
		name          string
		oci, operator bool
		primary       []string
	}{
		{"http", false, false, []string{"releaseName: podinfo-primary", "message: from valuesFrom", "replicaCount: 3", "team", "$patch: delete"}},
		{"oci", true, false, []string{"releaseName: podinfo-primary", "message: from valuesFrom"}},
		{"helm operator", false, true, []string{"apiVersion: helm.fluxcd.io/v1", "releaseName: podinfo-primary", "fullnameOverride: podinfo-primary"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := repoWorld(t, tt.oci, tt.operator)
			if res := w.pass(0); res.Commits != 1 {
				t.Fatalf("init: %d commits", res.Commits)
			}
			p := w.show("main", gen+"primary.yaml")
			for _, want := range append(tt.primary, "version: 6.0.0") {
				if !strings.Contains(p, want) {
					t.Errorf("primary.yaml lacks %q:\n%s", want, p)
				}
			}
			bumpChart(w, "6.0.0", "6.0.1")
			w.runTo(pass, 8, promoted)
			if p := w.show("main", gen+"primary.yaml"); !strings.Contains(p, "version: 6.0.1") {
				t.Errorf("the primary does not pin the promoted version:\n%s", p)
			}
			bumpChart(w, "6.0.1", "6.1.0")
			w.runTo(fail, 6, rolledBack)
			if hr := w.show("main", helmRelease); !strings.Contains(hr, "version: 6.0.1 # bumped by CI") {
				t.Errorf("the chart version was not reverted:\n%s", hr)
			}
			if res := w.pass(tick); res.Commits != 0 {
				t.Errorf("the reverted release started a canary")
			}
		})
	}
}

// A chart that carries its Canary (templates/canary.yaml, turned on by the
// HelmRelease's values), as in Flagger's "Canaries with Helm charts and
// GitOps" tutorial (Istio, an HPA, a ConfigMap change canaried): the Canary
// is found in what the HelmRelease renders, kept out of what Flux applies,
// and a values change that only reaches the ConfigMap is a release.
func TestCanaryCarriedByTheChart(t *testing.T) {
	dir := helmGitDir(t)
	if err := os.Remove(filepath.Join(dir, app, "canary.yaml")); err != nil {
		t.Fatal(err)
	}
	replaceIn(t, dir, helmRelease, "    ui:\n", "    canary:\n      enabled: true\n    hpa:\n      enabled: true\n    ui:\n")
	if errs, n, err := Validate(dir, "istio"); err != nil || len(errs) != 0 || n != 1 {
		t.Fatalf("validate: %d canaries, %v, %v", n, errs, err)
	}
	w := newWorld(t, dir)
	if res := w.pass(0); res.Commits != 1 {
		t.Fatalf("init: %d commits", res.Commits)
	}
	// What Flux applies holds no Canary: the component's post-renderer
	// deletes it from the user's release, and the primary's from its own.
	for _, f := range []string{"release-patch.yaml", "primary.yaml"} {
		if p := w.show("main", gen+f); !strings.Contains(p, "kind: Canary") || !strings.Contains(p, "$patch: delete") {
			t.Errorf("%s does not delete the chart's Canary:\n%s", f, p)
		}
	}
	// The primary release's HPA and ConfigMap are its own.
	p := w.show("main", gen+"primary.yaml")
	for _, want := range []string{"kind: HorizontalPodAutoscaler", "value: podinfo-primary", "value: podinfo-config-primary"} {
		if !strings.Contains(p, want) {
			t.Errorf("primary.yaml lacks %q:\n%s", want, p)
		}
	}
	// A values change that reaches only the ConfigMap is canaried.
	w.ciCommit("change podinfo's message", func(dir string) {
		replaceIn(t, dir, helmRelease, "message: hello", "message: hello again")
	})
	got := w.runTo(pass, 8, promoted)
	if !slices.Contains(got, "New revision detected! Scaling up podinfo.test") {
		t.Errorf("the ConfigMap change was not canaried:\n%s", strings.Join(got, "\n"))
	}
	if p := w.show("main", gen+"primary.yaml"); !strings.Contains(p, "message: hello again") {
		t.Errorf("primary not promoted:\n%s", p)
	}
	// What helm-controller installs of both releases: the primary's pods
	// read the primary's ConfigMap, the canary holds no pods, no Canary.
	objs := w.applied("main")
	dep := findObject(objs, "Deployment", "podinfo-primary", "test")
	if dep == nil || !strings.Contains(dep.MustString(), "name: podinfo-config-primary") {
		t.Fatalf("the primary Deployment does not read podinfo-config-primary:\n%v", dep)
	}
	if cm := findObject(objs, "ConfigMap", "podinfo-config-primary", "test"); cm == nil || !strings.Contains(cm.MustString(), "hello again") {
		t.Errorf("the primary's ConfigMap: %v", cm)
	}
	if c := findObject(objs, "Deployment", "podinfo", "test"); c == nil || !strings.Contains(c.MustString(), "replicas: 0") {
		t.Errorf("the canary is not scaled down: %v", c)
	}
	for _, o := range objs {
		if o.GetKind() == "Canary" {
			t.Errorf("Flux would apply Canary %s", o.GetName())
		}
	}
}

// applied renders the app at rev as Flux applies it: kustomize, then each
// HelmRelease installed as helm-controller would.
func (w *world) applied(rev string) []*yaml.RNode {
	w.t.Helper()
	return w.appliedIn(rev, strings.TrimSuffix(app, "/"))
}

// appliedIn is what Flux applies of the app in dir at rev.
func (w *world) appliedIn(rev, dir string) []*yaml.RNode {
	w.t.Helper()
	fsys := gitops.NewFS(nil)
	var sources []*yaml.RNode // a Helm repository's, from anywhere in the repository
	for _, f := range strings.Split(gitRun(w.t, w.remote, "ls-tree", "-r", "--name-only", rev), "\n") {
		data := []byte(w.show(rev, f))
		fsys.Set(f, data)
		if isYAML(f) && strings.Contains(string(data), helmSourceGroup) {
			sources = append(sources, gitops.ReadHelmSources(data)...)
		}
	}
	objs, err := gitops.Render(fsys, dir)
	if err != nil {
		w.t.Fatal(err)
	}
	if objs, err = expandReleases(context.Background(), helmEnv(fsys, objs, sources), objs); err != nil {
		w.t.Fatal(err)
	}
	return objs
}

// A chart that cannot be fetched is a clear error of its canary, and no
// commit.
func TestChartThatCannotBeFetched(t *testing.T) {
	// A chart of its own (charts are cached by digest across tests).
	w, s := repoWorld(t, false, false, ownChart(t, "6.9.9", nil))
	w.pass(0)
	s.Close()
	bumpChart(w, "6.0.0", "6.9.9")
	w.now = w.now.Add(tick)
	res, err := w.rec.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Commits != 0 {
		t.Errorf("%d commits without the chart", res.Commits)
	}
	var found bool
	for _, e := range res.Errors {
		if strings.HasPrefix(e.Error(), "canary podinfo.test: ") && strings.Contains(e.Error(), "HelmRelease test/podinfo: chart cannot be fetched: ") {
			found = true
		}
	}
	if !found {
		t.Errorf("errors %v: want one of canary podinfo.test saying the chart cannot be fetched", res.Errors)
	}
}

// The revision covers what the chart renders into the Deployment and its
// configs, as in Flagger: a values change that alters neither is no
// canary.
func TestHelmValuesChangeOutsideThePodIsNoRelease(t *testing.T) {
	w := helmWorld(t)
	w.pass(0)
	// hpa is disabled: its bounds reach no rendered object.
	w.ciCommit("tune the disabled HPA", func(dir string) {
		replaceIn(t, dir, helmRelease, "    ui:\n", "    hpa:\n      maxReplicas: 8\n    ui:\n")
	})
	if res := w.pass(tick); res.Commits != 0 {
		t.Errorf("a values change outside the pod started a canary:\n%s", strings.Join(w.subjects(), "\n"))
	}
	// One that reaches the pod template is.
	bumpValues(w, "6.0.0", "6.0.1")
	if res := w.pass(tick); res.Commits == 0 {
		t.Errorf("an image bump started nothing:\n%s", strings.Join(w.subjects(), "\n"))
	}
}

// ownChart packages a copy of the fixtures' podinfo chart at version,
// edited by edit; a description of the test's own keeps its digest apart
// from every other test's (charts are cached by digest).
func ownChart(t *testing.T, version string, edit func(fstest.MapFS)) helmrepo.Chart {
	t.Helper()
	fsys := fstest.MapFS{}
	chart, err := fixtures.ChartFiles("podinfo")
	if err != nil {
		t.Fatal(err)
	}
	for p, data := range chart {
		fsys[strings.TrimPrefix(p, "charts/")] = &fstest.MapFile{Data: data}
	}
	fsys["podinfo/Chart.yaml"].Data = append(fsys["podinfo/Chart.yaml"].Data, "description: "+t.Name()+" "+time.Now().String()+"\n"...)
	if edit != nil {
		edit(fsys)
	}
	own, err := helmrepo.Package(fsys, "podinfo", version)
	if err != nil {
		t.Fatal(err)
	}
	return own
}

// replaceInMap replaces old with new in a file of fsys, failing if absent.
func replaceInMap(t *testing.T, fsys fstest.MapFS, file, old, new string) {
	t.Helper()
	f := fsys[file]
	if f == nil || !strings.Contains(string(f.Data), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	f.Data = []byte(strings.Replace(string(f.Data), old, new, 1))
}

// A Helm Operator release whose chart does not follow the conventions
// gitcanary needs without post-renderers (objects named after
// fullnameOverride, replicas from replicaCount) is a clear error of its
// canary, from validate and from run, and run commits nothing.
func TestHelmOperatorChartWithoutItsConventions(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(t *testing.T, fsys fstest.MapFS)
		want []string
	}{
		{"no fullnameOverride", func(t *testing.T, fsys fstest.MapFS) {
			replaceInMap(t, fsys, "podinfo/templates/_helpers.tpl", "{{- if .Values.fullnameOverride -}}", "{{- if false -}}")
			replaceInMap(t, fsys, "podinfo/templates/_helpers.tpl", "{{- if contains $name .Release.Name -}}", "{{- if true -}}{{ $name }}{{- else if false -}}")
		}, []string{"apps/podinfo/helmrelease.yaml: document 1: ", "HelmRelease test/podinfo", "values.fullnameOverride"}},
		{"no replicaCount", func(t *testing.T, fsys fstest.MapFS) {
			replaceInMap(t, fsys, "podinfo/templates/deployment.yaml", "replicas: {{ .Values.replicaCount }}", "replicas: 2")
		}, []string{"apps/podinfo/helmrelease.yaml: document 1: ", "HelmRelease test/podinfo", "values.replicaCount", "spec.gitops.helm.replicasValue"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			chart := ownChart(t, "6.9.7", func(fsys fstest.MapFS) { tt.edit(t, fsys) })
			w, _ := repoWorld(t, false, true, chart)
			bumpChart(w, "6.0.0", "6.9.7")
			errs, _, err := Validate(w.ci, "istio")
			if err != nil {
				t.Fatal(err)
			}
			check := func(from string, errs []error) {
				t.Helper()
				var msgs []string
				for _, e := range errs {
					msgs = append(msgs, e.Error())
				}
				all := strings.Join(msgs, "\n")
				if len(errs) != 1 || !strings.HasPrefix(all, "canary podinfo.test: ") {
					t.Errorf("%s: want one error of canary podinfo.test, got:\n%s", from, all)
				}
				for _, want := range tt.want {
					if !strings.Contains(all, want) {
						t.Errorf("%s: error lacks %q:\n%s", from, want, all)
					}
				}
			}
			check("validate", errs)
			res, err := w.rec.Pass(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Commits != 0 {
				t.Errorf("run committed %d", res.Commits)
			}
			check("run", res.Errors)
		})
	}
}

// secretColor is a value only a Secret of valuesFrom holds.
const secretColor = "s3cr3t-c0l0r-7f3a"

// A HelmRelease whose values come partly from a Secret (valuesFrom) is
// promoted and rolled back through run; the primary keeps the reference
// to the Secret, and no commit, log line or error ever holds its value.
func TestSecretValuesFromThroughRun(t *testing.T) {
	w, _ := repoWorld(t, false, false)
	w.ciCommit("podinfo's color from a Secret", func(dir string) {
		secret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: podinfo-secret-values\n  namespace: test\ndata:\n  values.yaml: " +
			base64.StdEncoding.EncodeToString([]byte("ui:\n  color: "+secretColor+"\n")) + "\n"
		if err := os.WriteFile(filepath.Join(dir, app, "secret.yaml"), []byte(secret), 0o644); err != nil {
			t.Fatal(err)
		}
		gitRun(t, dir, "add", app+"secret.yaml")
		replaceIn(t, dir, app+"kustomization.yaml", "  - values.yaml\n", "  - values.yaml\n  - secret.yaml\n")
		replaceIn(t, dir, helmRelease, "      name: podinfo-values\n", "      name: podinfo-values\n    - kind: Secret\n      name: podinfo-secret-values\n")
	})
	if res := w.pass(0); res.Commits != 1 {
		t.Fatalf("init: %d commits", res.Commits)
	}
	p := w.show("main", gen+"primary.yaml")
	if !strings.Contains(p, "kind: Secret") || !strings.Contains(p, "name: podinfo-secret-values") || !strings.Contains(p, "message: from valuesFrom") {
		t.Errorf("the primary does not keep the Secret reference, or lost the ConfigMap's values:\n%s", p)
	}
	// What helm-controller installs: the Secret's value reaches the pods.
	if cm := findObject(w.applied("main"), "ConfigMap", "podinfo-config-primary", "test"); cm == nil || !strings.Contains(cm.MustString(), secretColor) {
		t.Fatalf("the primary's ConfigMap lacks the Secret's value: %v", cm)
	}
	bumpChart(w, "6.0.0", "6.0.1")
	w.runTo(pass, 8, promoted)
	bumpChart(w, "6.0.1", "6.1.0")
	w.runTo(fail, 6, rolledBack)
	if hr := w.show("main", helmRelease); !strings.Contains(hr, "version: 6.0.1 # bumped by CI") || !strings.Contains(hr, "name: podinfo-secret-values") {
		t.Errorf("the rollback did not put the version back, or lost the Secret reference:\n%s", hr)
	}
	encoded := base64.StdEncoding.EncodeToString([]byte("ui:\n  color: " + secretColor + "\n"))
	ours := gitRun(t, w.remote, "log", "-p", "--author=gitcanary", "main")
	if !strings.Contains(ours, promoted) {
		t.Fatalf("no gitcanary commit read:\n%s", ours)
	}
	for _, v := range []string{secretColor, encoded} {
		if strings.Contains(ours, v) {
			t.Errorf("a gitcanary commit holds the Secret's value %q", v)
		}
		if strings.Contains(w.logs.String(), v) {
			t.Errorf("the logs hold the Secret's value %q", v)
		}
	}
}
