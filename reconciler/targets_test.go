package reconciler

import (
	"os"
	"path/filepath"
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
