package reconciler

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const scaledObject = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: podinfo
  namespace: test
spec:
  scaleTargetRef:
    name: podinfo
  minReplicaCount: 1
  maxReplicaCount: 4
  triggers:
    - type: prometheus
      name: requests
      metadata:
        serverAddress: http://prometheus.monitoring:9090
        threshold: "100"
        query: sum(rate(http_requests_total{app="podinfo"}[1m]))
`

// A KEDA ScaledObject as autoscalerRef, through run: the primary gets
// <so>-primary scaling it, with primaryScalerQueries; the canary's is
// paused at zero replicas while idle and runs during the analysis.
func TestKEDAScaledObjectThroughRun(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, app, "scaledobject.yaml"), []byte(scaledObject), 0o644); err != nil {
		t.Fatal(err)
	}
	replaceIn(t, dir, app+"kustomization.yaml", "  - configmap.yaml", "  - configmap.yaml\n  - scaledobject.yaml")
	replaceIn(t, dir, app+"canary.yaml", "  service:", `  autoscalerRef:
    apiVersion: keda.sh/v1alpha1
    kind: ScaledObject
    name: podinfo
    primaryScalerQueries:
      requests: sum(rate(http_requests_total{app="podinfo-primary"}[1m]))
  service:`)
	if errs, n, err := Validate(dir, "istio"); err != nil || len(errs) != 0 || n != 1 {
		t.Fatalf("validate: %d canaries, %v, %v", n, errs, err)
	}
	w := newWorld(t, dir)
	w.pass(0)
	p := w.show("main", gen+"primary.yaml")
	for _, want := range []string{"kind: ScaledObject", "name: podinfo-primary", `app="podinfo-primary"`} {
		if !strings.Contains(p, want) {
			t.Errorf("primary.yaml lacks %q:\n%s", want, p)
		}
	}
	pause := `autoscaling.keda.sh/paused-replicas: "0"`
	if s := w.show("main", gen+"scaler-pause.yaml"); !strings.Contains(s, pause) {
		t.Errorf("the canary's ScaledObject is not paused:\n%s", s)
	}
	bumpImage(w, "6.0.1")
	w.runTo(pass, 12, promoted)
	if ls := gitRun(t, w.remote, "ls-tree", "--name-only", "main~7", gen); strings.Contains(ls, "scaler-pause.yaml") {
		t.Errorf("the canary's ScaledObject stays paused during the analysis: %s", ls)
	}
	if ls := gitRun(t, w.remote, "ls-tree", "--name-only", "main", gen); !strings.Contains(ls, "scaler-pause.yaml") {
		t.Errorf("the canary's ScaledObject is not paused after the promotion: %s", ls)
	}
}

// Apps whose kustomization sets namePrefix, nameSuffix, namespace and
// commonLabels pass validate and roll out through run: targetRef names the
// rendered Deployment, and the generated objects come out named once with
// the prefix and suffix (the suffix last, as <target>-primary<suffix>),
// with the common labels, and the canary scaled down.
func TestNamePrefixAppValidatesAndRollsOut(t *testing.T) {
	for _, tt := range []struct {
		name, kustomize, prefix, suffix string
	}{
		{"namePrefix", "namePrefix: blue-", "blue-", ""},
		{"nameSuffix and commonLabels", "nameSuffix: -v1\ncommonLabels:\n  team: blue", "", "-v1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			name := func(s string) string { return tt.prefix + s + tt.suffix }
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
				t.Fatal(err)
			}
			replaceIn(t, dir, app+"kustomization.yaml", "namespace: test", "namespace: test\n"+tt.kustomize)
			replaceIn(t, dir, app+"canary.yaml", "    name: podinfo\n  service:", "    name: "+name("podinfo")+"\n  service:")
			if errs, n, err := Validate(dir, "istio"); err != nil || len(errs) != 0 || n != 1 {
				t.Fatalf("validate: %d canaries, %v, %v", n, errs, err)
			}
			w := newWorld(t, dir)
			w.pass(0)
			// Written without the prefix and suffix: the app's
			// kustomization adds them.
			if p := w.show("main", gen+"primary.yaml"); !strings.Contains(p, "name: podinfo-primary\n") {
				t.Errorf("primary.yaml:\n%s", p)
			}
			bumpImage(w, "6.0.1")
			got := w.runTo(pass, 12, promoted)
			// The subject names the primary users find: as it renders,
			// the suffix last (podinfo-primary-v1, not Flagger's
			// podinfo-v1-primary).
			if !slices.Contains(got, "Copying podinfo.test template spec to "+name("podinfo-primary")+".test") {
				t.Errorf("history:\n%s", strings.Join(got, "\n"))
			}
			// What Flux applies.
			objs := w.applied("main")
			for _, want := range []string{"Deployment/podinfo", "Deployment/podinfo-primary", "ConfigMap/podinfo-config-primary",
				"Service/podinfo", "Service/podinfo-primary", "Service/podinfo-canary", "VirtualService/podinfo"} {
				kind, n, _ := strings.Cut(want, "/")
				o := findObject(objs, kind, name(n), "test")
				if o == nil {
					t.Errorf("rendered app lacks %s %s", kind, name(n))
					continue
				}
				if tt.suffix != "" && o.GetLabels()["team"] != "blue" {
					t.Errorf("%s %s lacks the common label", kind, o.GetName())
				}
			}
			if d := findObject(objs, "Deployment", name("podinfo"), "test"); d == nil || !strings.Contains(d.MustString(), "replicas: 0") {
				t.Errorf("the canary is not scaled down")
			}
			if s := findObject(objs, "Service", name("podinfo-primary"), "test"); s == nil || !strings.Contains(s.MustString(), "app: podinfo-primary") {
				t.Errorf("the primary Service does not select the primary's pods: %v", s)
			}
		})
	}
}
