package templates

import (
	"cmp"
	"fmt"
	"maps"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The app's kustomization runs its own transformers (namePrefix,
// nameSuffix, namespace, commonLabels, labels) after its components, so
// they rewrite the generated objects too. gitcanary learns what they do by
// rendering a probe object in the component (ProbeComponent) and reading it
// back (ReadProbe); the component then names its objects so that they come
// out right: <target>-primary once the app's prefix is added.

// probeName is the name of the probe ConfigMap.
const probeName = "gitcanary-probe"

// Naming is what the app's kustomization does to the component's objects.
// The zero value does nothing.
type Naming struct {
	// Prefix and Suffix are added to every object's name.
	Prefix string `yaml:"prefix"`
	Suffix string `yaml:"suffix"`
	// Namespace is set on every object; "" leaves namespaces as they are.
	Namespace string `yaml:"namespace"`
	// Labels are added to every object (and, with commonLabels, to
	// selectors).
	Labels map[string]string `yaml:"labels"`
}

// final is the name an object written as name in the component renders as.
func (g Naming) final(name string) string {
	return g.Prefix + name + g.Suffix
}

// written is the name to write in the component for an object to render
// as name: the prefix and suffix taken off.
func (g Naming) written(name string) string {
	name = strings.TrimPrefix(name, g.Prefix)
	return strings.TrimSuffix(name, g.Suffix)
}

// derived is the rendered name of an object named after another one, as
// Flagger names <target>-primary: the app's suffix stays last.
func (g Naming) derived(name, suffix string) string {
	return g.final(g.written(name) + suffix)
}

// carries reports whether a rendered name could come out of the component.
func (g Naming) carries(name string) bool {
	return strings.HasPrefix(name, g.Prefix) && strings.HasSuffix(name, g.Suffix) && len(name) > len(g.Prefix)+len(g.Suffix)
}

// String describes the transformers, for errors.
func (g Naming) String() string {
	var parts []string
	if g.Prefix != "" {
		parts = append(parts, "namePrefix "+g.Prefix)
	}
	if g.Suffix != "" {
		parts = append(parts, "nameSuffix "+g.Suffix)
	}
	return strings.Join(parts, " and ")
}

// ProbeComponent returns the files of a component holding only the probe:
// render the app with it in place of the canary's component, then
// ReadProbe.
func ProbeComponent() map[string][]byte {
	return map[string][]byte{
		KustomizationFile: []byte("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - probe.yaml\n"),
		"probe.yaml":      []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + probeName + "\n"),
	}
}

// ReadProbe finds the probe in an app's rendered objects and returns what
// the app's kustomization did to it, and the other objects.
func ReadProbe(objs []*yaml.RNode) (Naming, []*yaml.RNode, error) {
	var g Naming
	found := false
	out := make([]*yaml.RNode, 0, len(objs))
	for _, o := range objs {
		name := o.GetName()
		i := strings.Index(name, probeName)
		if o.GetKind() != KindConfigMap || i < 0 || found {
			out = append(out, o)
			continue
		}
		found = true
		g.Prefix, g.Suffix = name[:i], name[i+len(probeName):]
		g.Namespace = o.GetNamespace()
		if l := o.GetLabels(); len(l) > 0 {
			g.Labels = maps.Clone(l)
		}
	}
	if !found {
		return Naming{}, objs, fmt.Errorf("the app's rendered output lacks gitcanary's probe ConfigMap %s: does its kustomization list the generated component?", probeName)
	}
	return g, out, nil
}

// localize writes the component's documents as the app's kustomization
// wants them: each object's name without the app's prefix and suffix,
// which the kustomization adds back. References between objects keep the
// rendered names, which kustomize leaves as they are.
func localize(g Naming, docs []*yaml.Node) {
	if g.Prefix == "" && g.Suffix == "" {
		return
	}
	for _, d := range docs {
		name, err := yaml.NewRNode(d).Pipe(yaml.Lookup("metadata", "name"))
		if err == nil && name != nil {
			name.YNode().Value = g.written(name.YNode().Value)
		}
	}
}

// RoutingView returns the rendered objects as the routers read their
// weights back (ReadRouting): they name the Services <apex>-primary and
// <apex>-canary, as Flagger does, but the app's nameSuffix comes last
// (podinfo-primary-v1 for the apex podinfo-v1). With a suffix, copies of
// the objects are returned with those Service names, in every string
// (hosts too), rewritten as the routers name them; otherwise objs.
func RoutingView(in Input, objs []*yaml.RNode) []*yaml.RNode {
	g := in.Naming
	if g.Suffix == "" {
		return objs
	}
	apex := cmp.Or(in.Canary.Spec.Service.Name, in.Canary.Spec.TargetRef.Name)
	r := strings.NewReplacer(
		g.derived(apex, "-primary"), apex+"-primary",
		g.derived(apex, "-canary"), apex+"-canary",
	)
	out := make([]*yaml.RNode, 0, len(objs))
	for _, o := range objs {
		c := o.Copy()
		_ = c.PipeE(yaml.FilterFunc(func(n *yaml.RNode) (*yaml.RNode, error) {
			rewriteScalars(n.YNode(), r)
			return n, nil
		}))
		out = append(out, c)
	}
	return out
}

// rewriteScalars replaces in every string scalar under n.
func rewriteScalars(n *yaml.Node, r *strings.Replacer) {
	if n.Kind == yaml.ScalarNode {
		n.Value = r.Replace(n.Value)
		return
	}
	for _, c := range n.Content {
		rewriteScalars(c, r)
	}
}
