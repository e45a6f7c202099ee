package templates

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Helm Operator's HelmRelease (helm.fluxcd.io/v1) has no post-renderers:
// the primary release is told its names by the chart's fullnameOverride
// value, and the canary is held at zero replicas by a chart value
// (spec.gitops.helm.replicasValue, default replicaCount). A chart that
// honours neither is a clear error.

// fullnameOverride is the chart value the Helm starter chart, and charts
// made from it, name every object after.
const fullnameOverride = "fullnameOverride"

func (h helmRelease) operatorPrimary(in Input, n names) ([]*yaml.Node, error) {
	hr, err := primaryRelease(in, n)
	if err != nil {
		return nil, err
	}
	if err := hr.SetMapField(yaml.NewRNode(str(n.primary)), "spec", "values", fullnameOverride); err != nil {
		return nil, err
	}
	objs, err := in.Release.Render.RenderRelease(hr)
	if err != nil {
		return nil, fmt.Errorf("the primary %s: %w", objectName(hr), err)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("canary %s: the primary %s (Helm Operator has no post-renderers, so gitcanary sets values.%s=%s): %s", in.Canary.ID(), objectName(hr), fullnameOverride, n.primary, fmt.Sprintf(format, args...))
	}
	w := findObjectIn(objs, in.Target.GetKind(), n.primary)
	if w == nil {
		return nil, fail("its chart renders no %s %s: the chart must name its objects after values.%s", in.Target.GetKind(), n.primary, fullnameOverride)
	}
	if _, v, err := SelectorLabel(w); err != nil || v != n.labelValue+"-primary" {
		return nil, fail("%s %s selects %s=%s, want %s: the chart must derive its selector label from the full name", in.Target.GetKind(), n.primary, n.labelKey, v, n.labelValue+"-primary")
	}
	taken := map[string]bool{n.apex: true, n.primarySvc: true, n.canarySvc: true}
	canary := map[string]bool{}
	for _, o := range in.Release.Objects {
		canary[o.GetKind()+"/"+o.GetName()] = true
	}
	for _, o := range objs {
		if o.GetKind() == "Service" && taken[o.GetName()] || canary[o.GetKind()+"/"+o.GetName()] {
			return nil, fail("its chart renders %s %s, which the canary's release or gitcanary's Services have too: turn it off in the chart's values", o.GetKind(), o.GetName())
		}
	}
	return []*yaml.Node{hr.YNode()}, nil
}

func (h helmRelease) operatorPatches(in Input, n names, down bool) ([]patchFile, error) {
	for _, o := range in.Release.Objects {
		if o.GetKind() == "Service" && (o.GetName() == n.apex || o.GetName() == n.primarySvc || o.GetName() == n.canarySvc) {
			return nil, fmt.Errorf("%s renders Service %s, which gitcanary generates (Helm Operator has no post-renderers to take it over): turn it off in the chart's values", objectName(in.Release.Object), o.GetName())
		}
	}
	if !down {
		return nil, nil
	}
	path := strings.Split(in.Canary.Spec.GitOps.ReplicasValue(), ".")
	values := yaml.NewRNode(mapping())
	if err := values.SetMapField(yaml.NewRNode(integer(0)), path...); err != nil {
		return nil, err
	}
	patch := mapping(
		"apiVersion", in.Release.Object.GetApiVersion(),
		"kind", KindHelmRelease,
		"metadata", meta(in.Release.Object.GetName(), n.namespace, nil, nil),
		"spec", mapping("values", values.YNode()),
	)
	// The chart must honour the value, or the canary would keep running.
	hr := in.Release.Object.Copy()
	if err := hr.SetMapField(yaml.NewRNode(integer(0)), append([]string{"spec", "values"}, path...)...); err != nil {
		return nil, err
	}
	objs, err := in.Release.Render.RenderRelease(hr)
	if err != nil {
		return nil, err
	}
	if t := findObjectIn(objs, in.Target.GetKind(), in.Target.GetName()); t == nil || !h.scaledDown(t) {
		return nil, fmt.Errorf("spec.gitops.helm.replicasValue: %s with values.%s=0 does not scale %s %s to zero: set the chart value that sets its replicas", objectName(in.Release.Object), strings.Join(path, "."), in.Target.GetKind(), in.Target.GetName())
	}
	return []patchFile{{file: ReleasePatchFile, docs: []*yaml.Node{patch}, target: in.Release.Object}}, nil
}

// findObjectIn finds an object by kind and name.
func findObjectIn(objs []*yaml.RNode, kind, name string) *yaml.RNode {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}
