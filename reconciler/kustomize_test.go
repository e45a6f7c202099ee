package reconciler

import "testing"

func TestWireComponentKeepsTheFile(t *testing.T) {
	in := `# podinfo in production
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: test
resources:
  - deployment.yaml # the workload
  - service.yaml
`
	out, changed, err := wireComponent("k.yaml", []byte(in), "gitcanary/podinfo")
	if err != nil || !changed {
		t.Fatal(err, changed)
	}
	want := in + "components:\n  - gitcanary/podinfo\n"
	if string(out) != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
	again, changed, err := wireComponent("k.yaml", out, "gitcanary/podinfo")
	if err != nil || changed || string(again) != string(out) {
		t.Errorf("second wiring must be a no-op: %v %v\n%s", err, changed, again)
	}
}
