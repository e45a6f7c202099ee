package templates

import (
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Flux's HelmRelease kinds: helm-controller's (helm.toolkit.fluxcd.io/v2,
// with post-renderers) and Helm Operator's (helm.fluxcd.io/v1, without).
const (
	KindHelmRelease = "HelmRelease"
	// HelmControllerGroup is the API group of helm-controller's HelmRelease.
	HelmControllerGroup = "helm.toolkit.fluxcd.io"
	// HelmOperatorGroup is the API group of Helm Operator's HelmRelease.
	HelmOperatorGroup = "helm.fluxcd.io"
)

// ReleasePatchFile is the patch of the user's HelmRelease: the
// post-renderer (or, for Helm Operator, the values) that holds the canary
// at zero replicas and makes the chart's apex Service select the primary.
const ReleasePatchFile = "release-patch.yaml"

// Release is the Helm release that renders a canary's target. Git keeps
// intent, not output: the primary is a generated HelmRelease
// <name>-primary (the last promoted chart and values) whose objects do not
// collide with the canary's, by release name and by post-renderer patches
// computed from its render.
type Release struct {
	// Object is the HelmRelease as the app renders it.
	Object *yaml.RNode
	// Name is its Helm release name.
	Name string
	// Version is the chart version it renders: the primary pins it.
	Version string
	// Values are the values it installs with, from spec.values and the
	// ConfigMaps of spec.valuesFrom; never the values of a Secret.
	Values map[string]any
	// Objects are what its chart renders, post-renderers applied: the
	// target is one of them.
	Objects []*yaml.RNode
	// Render renders a HelmRelease as helm-controller would.
	Render ReleaseRenderer
}

// ReleaseRenderer renders a HelmRelease as helm-controller would: its
// chart with its values, post-renderers applied.
type ReleaseRenderer interface {
	RenderRelease(hr *yaml.RNode) ([]*yaml.RNode, error)
}

// ReleaseRendererFunc adapts a function to ReleaseRenderer.
type ReleaseRendererFunc func(hr *yaml.RNode) ([]*yaml.RNode, error)

// RenderRelease calls f.
func (f ReleaseRendererFunc) RenderRelease(hr *yaml.RNode) ([]*yaml.RNode, error) { return f(hr) }

// IsHelmRelease reports whether o is a HelmRelease of Flux's helm-controller
// or of Helm Operator.
func IsHelmRelease(o *yaml.RNode) bool {
	g, _, _ := strings.Cut(o.GetApiVersion(), "/")
	return o.GetKind() == KindHelmRelease && (g == HelmControllerGroup || g == HelmOperatorGroup)
}

// helmRelease is a target a Helm release renders. Its workload says what
// the target's kind needs.
type helmRelease struct {
	workload target
}

// operator reports whether the release is Helm Operator's (no
// post-renderers).
func operator(r *Release) bool {
	return strings.HasPrefix(r.Object.GetApiVersion(), HelmOperatorGroup+"/")
}

// primaryRelease returns the generated HelmRelease <name>-primary: a copy
// of the user's with the release name <release>-primary and the values
// from ConfigMaps inlined (those of Secrets stay references: never
// copied), before any patch of gitcanary's.
func primaryRelease(in Input, n names) (*yaml.RNode, error) {
	r := in.Release
	hr := r.Object.Copy()
	values, err := anyNode(r.Values)
	if err != nil {
		return nil, err
	}
	errs := []error{
		clean(hr),
		hr.PipeE(yaml.SetK8sName(n.naming.derived(r.Object.GetName(), "-primary")), yaml.SetK8sNamespace(n.namespace)),
		hr.PipeE(yaml.Lookup("metadata"), yaml.Clear("annotations")),
		hr.SetMapField(yaml.NewRNode(str(r.Name+"-primary")), "spec", "releaseName"),
		hr.PipeE(yaml.Lookup("spec"), yaml.Clear("values")),
	}
	if values != nil {
		errs = append(errs, hr.SetMapField(yaml.NewRNode(values), "spec", "values"))
	}
	// The chart version as it resolved, so that a range in the user's
	// (6.x) never upgrades the primary.
	for _, p := range [][]string{{"spec", "chart", "spec", "version"}, {"spec", "chart", "version"}} {
		if v, _ := hr.Pipe(yaml.Lookup(p...)); v != nil && r.Version != "" {
			v.YNode().Value, v.YNode().Tag, v.YNode().Style = r.Version, yaml.NodeTagString, 0
		}
	}
	if from, _ := hr.Pipe(yaml.Lookup("spec", "valuesFrom")); from != nil {
		var keep []*yaml.Node
		for _, e := range from.Content() {
			// helm-controller names the kind, Helm Operator the key ref.
			k, _ := yaml.NewRNode(e).GetString("kind")
			if k == KindSecret || yaml.NewRNode(e).Field("secretKeyRef") != nil {
				keep = append(keep, e)
			}
		}
		from.YNode().Content = keep
		if len(keep) == 0 {
			errs = append(errs, hr.PipeE(yaml.Lookup("spec"), yaml.Clear("valuesFrom")))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", objectName(r.Object), err)
	}
	return hr, nil
}

func (h helmRelease) primary(in Input, n names) ([]*yaml.Node, error) {
	if operator(in.Release) {
		return h.operatorPrimary(in, n)
	}
	hr, err := primaryRelease(in, n)
	if err != nil {
		return nil, err
	}
	objs, err := in.Release.Render.RenderRelease(hr)
	if err != nil {
		return nil, fmt.Errorf("the primary %s: %w", objectName(hr), err)
	}
	patches, err := primaryPatches(in, n, objs)
	if err != nil {
		return nil, fmt.Errorf("canary %s: the primary %s: %w", in.Canary.ID(), objectName(hr), err)
	}
	if err := appendPostRenderer(hr, patches); err != nil {
		return nil, err
	}
	return []*yaml.Node{hr.YNode()}, nil
}

// appendPostRenderer adds a kustomize post-renderer with patches after the
// HelmRelease's own.
func appendPostRenderer(hr *yaml.RNode, patches []*yaml.Node) error {
	list, err := hr.Pipe(yaml.LookupCreate(yaml.SequenceNode, "spec", "postRenderers"))
	if err != nil {
		return err
	}
	list.YNode().Content = append(list.YNode().Content, postRenderer(patches))
	return nil
}

func postRenderer(patches []*yaml.Node) *yaml.Node {
	return mapping("kustomize", mapping("patches", seq(patches...)))
}

// primaryPatches computes the patches that make the primary release's
// objects collide with none of the canary's: its workload renamed
// <target>-primary and selecting the primary's pods, its tracked configs
// and autoscaler renamed -primary (kustomize renames the references), its
// Services and Ingresses removed (gitcanary's Services replace them), a
// Canary the chart carries removed, and any other object the canary's
// release has too renamed -primary.
func primaryPatches(in Input, n names, objs []*yaml.RNode) ([]*yaml.Node, error) {
	kind := in.Target.GetKind()
	w := findPrimaryWorkload(in, objs)
	if w == nil {
		return nil, fmt.Errorf("its chart renders no %s like %s", kind, in.Target.GetName())
	}
	canary := map[string]bool{}
	for _, o := range in.Release.Objects {
		canary[o.GetKind()+"/"+o.GetName()] = true
	}
	configs, err := ReferencedConfigs(w, objs)
	if err != nil {
		return nil, err
	}
	isConfig := map[string]bool{}
	for _, c := range configs {
		isConfig[c.GetKind()+"/"+c.GetName()] = true
	}
	value := n.labelValue + "-primary"
	var out []*yaml.Node
	var scaler string
	if a := in.Canary.Spec.AutoscalerRef; a != nil {
		scaler = a.Kind
	}
	for _, o := range objs {
		id := o.GetKind() + "/" + o.GetName()
		switch {
		case o == w:
			out = append(out, jsonPatch(o,
				op("replace", "/metadata/name", n.primary),
				op("add", "/spec/selector", mapping("matchLabels", map[string]string{n.labelKey: value})),
				op("add", "/spec/template/metadata/labels/"+pointer(n.labelKey), value),
			))
		case isConfig[id]:
			// Named after the canary's config, as Flagger names copies:
			// podinfo-config-primary, not podinfo-primary-config-primary.
			name := o.GetName()
			if c := strings.Replace(name, in.Release.Name+"-primary", in.Release.Name, 1); canary[o.GetKind()+"/"+c] {
				name = c
			}
			out = append(out, jsonPatch(o, op("replace", "/metadata/name", name+"-primary")))
		case o.GetKind() == scaler:
			ops := []*yaml.Node{op("replace", "/metadata/name", in.Canary.Spec.AutoscalerRef.Name+"-primary")}
			if scaler != "HorizontalPodAutoscaler" {
				ops = append(ops, op("replace", "/spec/scaleTargetRef/name", n.primary))
			}
			out = append(out, jsonPatch(o, ops...))
		case replaced(o):
			out = append(out, deletePatch(o))
		case canary[id]:
			out = append(out, jsonPatch(o, op("replace", "/metadata/name", o.GetName()+"-primary")))
		}
	}
	return out, nil
}

// replaced reports whether a chart's object is one gitcanary's generated
// objects replace in the primary release: a Service, an Ingress, a Canary.
func replaced(o *yaml.RNode) bool {
	switch o.GetKind() {
	case "Service", "Ingress", "Canary":
		return true
	}
	return false
}

// findPrimaryWorkload finds the primary release's counterpart of the
// target: the workload of its kind with the same name, or with the release
// name in it made the primary's, or the only one.
func findPrimaryWorkload(in Input, objs []*yaml.RNode) *yaml.RNode {
	kind, name := in.Target.GetKind(), in.Target.GetName()
	rel := in.Release.Name
	var only []*yaml.RNode
	for _, o := range objs {
		if o.GetKind() != kind {
			continue
		}
		only = append(only, o)
		if o.GetName() == name || (rel != "" && o.GetName() == strings.Replace(name, rel, rel+"-primary", 1)) {
			return o
		}
	}
	if len(only) == 1 {
		return only[0]
	}
	return nil
}

// op is one JSON 6902 operation.
func op(kind, path string, value any) *yaml.Node {
	v := node(value)
	if v == nil {
		v = str("")
	}
	return mapping("op", kind, "path", path, "value", v)
}

// pointer escapes a key for a JSON pointer.
func pointer(key string) string {
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}

// jsonPatch is a post-renderer patch entry applying ops to o.
func jsonPatch(o *yaml.RNode, ops ...*yaml.Node) *yaml.Node {
	text, _ := yaml.String(seq(ops...))
	return mapping("target", patchTarget(o), "patch", literal(text))
}

// deletePatch is a post-renderer patch entry removing o.
func deletePatch(o *yaml.RNode) *yaml.Node {
	text, _ := yaml.String(mapping(
		"$patch", "delete",
		"apiVersion", o.GetApiVersion(),
		"kind", o.GetKind(),
		"metadata", mapping("name", o.GetName()),
	))
	return mapping("target", patchTarget(o), "patch", literal(text))
}

func patchTarget(o *yaml.RNode) *yaml.Node {
	return mapping("kind", o.GetKind(), "name", o.GetName())
}

// literal is a string written as a YAML block scalar.
func literal(s string) *yaml.Node {
	n := str(s)
	n.Style = yaml.LiteralStyle
	return n
}

// anyNode converts decoded values to a node, nil for none.
func anyNode(v map[string]any) (*yaml.Node, error) {
	if len(v) == 0 {
		return nil, nil
	}
	var n yaml.Node
	if err := n.Encode(integral(v)); err != nil {
		return nil, err
	}
	return &n, nil
}

func (h helmRelease) patches(in Input, n names, down bool) ([]patchFile, error) {
	if operator(in.Release) {
		return h.operatorPatches(in, n, down)
	}
	var patches []*yaml.Node
	if down {
		patches = append(patches, jsonPatch(in.Target, op("add", "/spec/replicas", 0)))
	}
	if a := in.Apex; a != nil {
		patches = append(patches, jsonPatch(a, op("add", "/spec/selector", map[string]string{n.labelKey: n.labelValue + "-primary"})))
	}
	for _, o := range in.Release.Objects {
		if o.GetKind() == "Canary" {
			patches = append(patches, deletePatch(o))
		}
	}
	if len(patches) == 0 {
		return nil, nil
	}
	path := "/spec/postRenderers/-"
	value := postRenderer(patches)
	if pr, _ := in.Release.Object.Pipe(yaml.Lookup("spec", "postRenderers")); pr == nil {
		path, value = "/spec/postRenderers", seq(value)
	}
	return []patchFile{{file: ReleasePatchFile, docs: []*yaml.Node{seq(op("add", path, value))}, target: in.Release.Object}}, nil
}

func (h helmRelease) scaledDown(obj *yaml.RNode) bool { return h.workload.scaledDown(obj) }

func (h helmRelease) inputs(in Input) []Revertible {
	return []Revertible{{
		Kind: KindHelmRelease, Name: in.Naming.written(in.Release.Object.GetName()),
		Fields: [][]string{{"spec", "chart"}, {"spec", "chartRef"}, {"spec", "values"}, {"spec", "valuesFrom"}},
	}}
}
