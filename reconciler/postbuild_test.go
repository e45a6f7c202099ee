package reconciler

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/gitops"
)

// substituted makes the fixture's image a Flux post-build variable set by
// the Flux Kustomization in clusters/demo.
func substituted(t *testing.T, flux string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	replaceIn(t, dir, app+"deployment.yaml", "podinfo:6.0.0", "podinfo:${PODINFO_VERSION}")
	if flux == "" {
		if err := os.RemoveAll(filepath.Join(dir, "clusters")); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	replaceIn(t, dir, "clusters/demo/apps.yaml", "  sourceRef:", flux+"  sourceRef:")
	return dir
}

const substitute = "  postBuild:\n    substitute:\n      PODINFO_VERSION: 6.0.0\n"

func TestPostBuildSubstitution(t *testing.T) {
	w := newWorld(t, substituted(t, substitute))
	w.pass(0)
	if p := w.show("main", gen+"primary.yaml"); !strings.Contains(p, "image: ghcr.io.gitcanary.invalid/stefanprodan/podinfo:6.0.0") {
		t.Fatalf("the primary must run what Flux applies, the substituted image:\n%s", p)
	}
	// CI bumps the variable in the Flux Kustomization: a new revision.
	w.ciCommit("bump podinfo to 6.0.1", func(dir string) {
		replaceIn(t, dir, "clusters/demo/apps.yaml", "PODINFO_VERSION: 6.0.0", "PODINFO_VERSION: 6.0.1")
	})
	w.setChecks(pass)
	w.pass(tick)
	if got := w.subject(); got != "New revision detected! Scaling up podinfo.test" {
		t.Fatalf("a bump of the variable is a canary, got %q", got)
	}
	for range 10 {
		w.pass(tick)
	}
	if got := w.subject(); got != "Promotion completed! Scaling down podinfo.test" {
		t.Fatalf("got %q", got)
	}
	if p := w.show("main", gen+"primary.yaml"); !strings.Contains(p, "podinfo:6.0.1") || strings.Contains(p, "${") {
		t.Errorf("primary after the promotion:\n%s", p)
	}
	if res := w.pass(tick); res.Commits != 0 {
		t.Errorf("idle pass committed")
	}
}

func TestPostBuildPlaceholdersGitcanaryCannotResolve(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, flux, want string }{
		{"no Flux Kustomization in the repository", "",
			"Deployment podinfo: spec.template has ${PODINFO_VERSION}: Flux substitutes it after the build (spec.postBuild), but no Flux Kustomization in the repository applies apps/podinfo"},
		{"variables from a Secret", "  postBuild:\n    substituteFrom:\n      - kind: Secret\n        name: versions\n",
			"Deployment podinfo: spec.template has ${PODINFO_VERSION}: Flux Kustomization flux-system/apps (clusters/demo/apps.yaml: document 1) may take it from Secret/versions"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			problems, _, err := Validate(substituted(t, tt.flux), "istio")
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 1 || !strings.Contains(problems[0].Error(), tt.want) {
				t.Errorf("validate: %v\nwant: %s", problems, tt.want)
			}
		})
	}
	// A ConfigMap of the repository is a source gitcanary reads.
	dir := substituted(t, "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: versions\n")
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: versions\n  namespace: flux-system\ndata:\n  PODINFO_VERSION: 6.0.2\n"
	if err := os.WriteFile(filepath.Join(dir, "clusters/demo/versions.yaml"), []byte(cm), 0o644); err != nil {
		t.Fatal(err)
	}
	if problems, _, _ := Validate(dir, "istio"); len(problems) != 0 {
		t.Errorf("validate with a ConfigMap source: %v", problems)
	}
}

// A variable of a megabyte referenced three thousand times would take
// three gigabytes: the substitution stops past the render's output bound,
// naming the object and the Flux Kustomization.
func TestPostBuildSubstitutionIsBounded(t *testing.T) {
	t.Parallel()
	ks, err := parseFluxKustomizations("clusters/demo/apps.yaml", []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./apps/podinfo\n  postBuild:\n    substitute:\n      BIG: "+strings.Repeat("x", 1<<20)+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	resolveSubstituteFrom(ks, nil)
	pb, err := postBuildFor(ks, "apps/podinfo")
	if err != nil {
		t.Fatal(err)
	}
	obj, err := yaml.Parse("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  x: " + strings.Repeat("${BIG}", 3000) + "\n")
	if err != nil {
		t.Fatal(err)
	}
	_, err = pb.apply([]*yaml.RNode{obj})
	want := "post-build substitution of ConfigMap bomb (Flux Kustomization flux-system/apps): beyond the render limits: its variables add more than 67108864 bytes"
	if !errors.Is(err, gitops.ErrTooLarge) || err == nil || err.Error() != want {
		t.Fatalf("error %v\nwant  %s", err, want)
	}
}
