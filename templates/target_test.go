package templates

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

const daemonSetYAML = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: podinfo
  namespace: test
spec:
  selector:
    matchLabels:
      app: podinfo
  template:
    metadata:
      labels:
        app: podinfo
    spec:
      nodeSelector:
        kubernetes.io/os: linux
      containers:
      - name: podinfod
        image: ghcr.io/stefanprodan/podinfo:6.0.0
`

// daemonSetInput is testdata/basic with a DaemonSet target, released
// blue/green (set after parsing: the strategy is another part's).
func daemonSetInput(t *testing.T) Input {
	in := basicInput(t)
	in.Canary.Spec.TargetRef.Kind = "DaemonSet"
	in.Canary.Spec.Analysis.StepWeight, in.Canary.Spec.Analysis.Iterations = 0, 10
	in.Target = yaml.MustParse(daemonSetYAML)
	return in
}

// A DaemonSet has no replicas: Flagger holds it at zero pods with a node
// selector no node has, and so does the scale-down patch.
func TestDaemonSetTarget(t *testing.T) {
	in := daemonSetInput(t)
	files, err := Component(in, Routing{PrimaryWeight: 100}, Options{ScaleDown: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "kind: DaemonSet\nmetadata:\n  name: podinfo\n  namespace: test\nspec:\n  template:\n    spec:\n      nodeSelector:\n        flagger.app/scale-to-zero: \"true\"\n"
	if got := string(files[ScaleDownFile]); !strings.HasSuffix(got, want) {
		t.Errorf("scale-down.yaml:\n%s\nwant it to end with:\n%s", got, want)
	}
	primary, err := Primary(in)
	if err != nil {
		t.Fatal(err)
	}
	p := yaml.MustParse(string(primary))
	if p.GetKind() != "DaemonSet" || p.GetName() != "podinfo-primary" {
		t.Errorf("primary is %s %s", p.GetKind(), p.GetName())
	}
	if v, _ := p.Pipe(yaml.Lookup("spec", "template", "spec", "nodeSelector", "kubernetes.io/os")); v == nil || v.YNode().Value != "linux" {
		t.Errorf("the primary lost the DaemonSet's own node selector:\n%s", primary)
	}
	if _, err := p.Pipe(yaml.Lookup("spec", "replicas")); strings.Contains(string(primary), "replicas") || err != nil {
		t.Errorf("a DaemonSet primary has replicas:\n%s", primary)
	}

	// The render check reads it back.
	scaled := yaml.MustParse(daemonSetYAML)
	if down, _ := ScaledDown(in, scaled); down {
		t.Error("a DaemonSet without the selector reads as scaled down")
	}
	_ = scaled.SetMapField(yaml.NewScalarRNode("true"), "spec", "template", "spec", "nodeSelector", scaleToZeroSelector)
	if down, _ := ScaledDown(in, scaled); !down {
		t.Error("a DaemonSet with the selector reads as running")
	}
}

func TestCheckTargets(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *api.Canary)
		want string
	}{
		{"unknown kind", func(c *api.Canary) { c.Spec.TargetRef.Kind = "StatefulSet" },
			`spec.targetRef.kind: target kind "StatefulSet" is not supported (supported: DaemonSet, Deployment)`},
		{"DaemonSet released as a canary", func(c *api.Canary) { c.Spec.TargetRef.Kind = "DaemonSet" },
			"spec.analysis: a DaemonSet target is released blue/green only, as in Flagger: set analysis.iterations (without match); got a Canary release"},
		{"unknown autoscaler", func(c *api.Canary) {
			c.Spec.AutoscalerRef = &api.AutoscalerRef{CrossRef: api.CrossRef{Kind: "VerticalPodAutoscaler", Name: "podinfo"}}
		}, `spec.autoscalerRef.kind: autoscaler kind "VerticalPodAutoscaler" is not supported (supported: HorizontalPodAutoscaler, ScaledObject)`},
		{"queries on an HPA", func(c *api.Canary) {
			c.Spec.AutoscalerRef = &api.AutoscalerRef{CrossRef: api.CrossRef{Kind: "HorizontalPodAutoscaler", Name: "podinfo"}, PrimaryScalerQueries: map[string]string{"q": "up"}}
		}, "spec.autoscalerRef.primaryScalerQueries: is for KEDA ScaledObjects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := basicInput(t)
			tt.edit(in.Canary)
			errs := Check(in.Canary)
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
				t.Fatalf("got %v, want one error with %q", errs, tt.want)
			}
		})
	}
	if errs := Check(daemonSetInput(t).Canary); len(errs) != 0 {
		t.Errorf("a blue/green DaemonSet: %v", errs)
	}
}

// The app's kustomization adds its prefix and suffix to the component's
// objects after the component runs: what it cannot give is refused.
func TestNamingRefusals(t *testing.T) {
	tests := []struct {
		name   string
		naming Naming
		want   string
	}{
		{"another namespace", Naming{Namespace: "prod"}, "metadata.namespace: the app's kustomization sets namespace prod on every object"},
		{"a common label on the selector key", Naming{Labels: map[string]string{"app": "shop"}}, "sets the label app=shop on every object"},
		{"a target without the prefix", Naming{Prefix: "blue-"}, "spec.service.name: the app's kustomization gives every object namePrefix blue-, the generated Services too, so they cannot be named podinfo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := basicInput(t)
			in.Naming = tt.naming
			_, err := Component(in, Routing{PrimaryWeight: 100}, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
