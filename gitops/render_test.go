package gitops

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

var appFiles = map[string]string{
	"base/kustomization.yaml": "resources:\n- deployment.yaml\n",
	"base/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: podinfo
        image: ghcr.io/stefanprodan/podinfo:6.0.0
`,
	"apps/podinfo/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: test
resources:
- ../../base
components:
- gitcanary/podinfo
configMapGenerator:
- name: podinfo-config
  files:
  - config.json
`,
	"apps/podinfo/config.json":  `{"level":"info"}`,
	"apps/podinfo/canary.yaml":  "apiVersion: gitcanary.dev/v1beta1\nkind: Canary\n",
	"apps/podinfo/unrelated.md": "notes\n",
	"apps/podinfo/gitcanary/podinfo/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
- service.yaml
patches:
- target:
    kind: Deployment
    name: podinfo
  patch: |
    - op: replace
      path: /spec/replicas
      value: 0
`,
	"apps/podinfo/gitcanary/podinfo/service.yaml": `apiVersion: v1
kind: Service
metadata:
  name: podinfo-primary
spec:
  selector:
    app: podinfo-primary
`,
}

func TestRenderOverFSRecordsReads(t *testing.T) {
	t.Parallel()
	r := openTest(t, newRemote(t, appFiles))
	s, err := r.Snapshot(r.Head())
	if err != nil {
		t.Fatal(err)
	}
	fsys := NewFS(s)
	objs, err := Render(fsys, "apps/podinfo")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName())
		if o.GetKind() == "Deployment" {
			if rep, _ := o.Pipe(yamlLookup("spec", "replicas")); rep == nil || strings.TrimSpace(rep.MustString()) != "0" {
				t.Errorf("component patch not applied: replicas = %v", rep)
			}
		}
	}
	slices.Sort(got)
	want := []string{"ConfigMap/test/podinfo-config-" + configMapSuffix(t, objs), "Deployment/test/podinfo", "Service/test/podinfo-primary"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rendered %v, want %v", got, want)
	}

	reads := fsys.ReadPaths()
	t.Logf("read paths: %q", reads)
	for _, p := range []string{
		"apps/podinfo/kustomization.yaml", "apps/podinfo/config.json",
		"base/kustomization.yaml", "base/deployment.yaml",
		"apps/podinfo/gitcanary/podinfo/kustomization.yaml", "apps/podinfo/gitcanary/podinfo/service.yaml",
	} {
		if !slices.Contains(reads, p) {
			t.Errorf("ReadPaths lacks %s: %v", p, reads)
		}
	}
	for _, p := range []string{"apps/podinfo/canary.yaml", "apps/podinfo/unrelated.md"} {
		if slices.Contains(reads, p) {
			t.Errorf("ReadPaths has %s, which the render does not use", p)
		}
	}
	if !slices.IsSorted(reads) || len(slices.Compact(slices.Clone(reads))) != len(reads) {
		t.Errorf("ReadPaths not sorted and unique: %v", reads)
	}
	// Editing an unread file keeps the digest, editing a read one changes it.
	d := s.Digest(reads, nil)
	otherCommit(t, r.opts.URL, map[string]string{"apps/podinfo/unrelated.md": "more\n"}, "notes")
	h, _ := r.Fetch(testContext(t))
	s2, _ := r.Snapshot(h)
	if s2.Digest(reads, nil) != d {
		t.Error("digest changed by an unrelated file")
	}
	otherCommit(t, r.opts.URL, map[string]string{"base/deployment.yaml": strings.Replace(appFiles["base/deployment.yaml"], "6.0.0", "6.0.1", 1)}, "bump")
	h, _ = r.Fetch(testContext(t))
	s3, _ := r.Snapshot(h)
	if s3.Digest(reads, nil) == d {
		t.Error("digest did not change with the base deployment")
	}
}

func TestRenderSeesOverlay(t *testing.T) {
	t.Parallel()
	r := openTest(t, newRemote(t, appFiles))
	s, _ := r.Snapshot(r.Head())
	fsys := NewFS(s)
	// Generated files in a new directory and a deleted resource.
	fsys.Set("apps/podinfo/gitcanary/podinfo/service.yaml", []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: podinfo-canary\n"))
	fsys.Set("apps/podinfo/gitcanary/extra/kustomization.yaml", []byte("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"))
	if !fsys.IsDir("/apps/podinfo/gitcanary/extra") || !fsys.Exists("apps/podinfo/gitcanary/extra/kustomization.yaml") {
		t.Fatal("overlay directory not visible")
	}
	objs, err := Render(fsys, "/apps/podinfo")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.GetName())
	}
	if !slices.Contains(names, "podinfo-canary") || slices.Contains(names, "podinfo-primary") {
		t.Fatalf("overlay not rendered: %v", names)
	}

	fsys.Delete("base/deployment.yaml")
	if _, err := Render(fsys, "apps/podinfo"); err == nil || !strings.Contains(err.Error(), "apps/podinfo") {
		t.Fatalf("render with a missing resource: err = %v, want an error naming the directory", err)
	}
	ch := fsys.Changes()
	if d, ok := ch["base/deployment.yaml"]; !ok || d != nil {
		t.Fatalf("Changes must mark the deletion with nil: %v", ch)
	}
	if string(ch["apps/podinfo/gitcanary/extra/kustomization.yaml"]) == "" {
		t.Fatalf("Changes lacks the new file: %v", ch)
	}
}
