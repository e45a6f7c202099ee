package templates

import (
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// svcNames are the Service names of a canary, as Flagger's
// GetServiceNames gives them.
type svcNames struct {
	apex, primary, canary string
}

func serviceNamesOf(c *api.Canary) svcNames {
	apex := c.Spec.Service.Name
	if apex == "" {
		apex = c.Spec.TargetRef.Name
	}
	return svcNames{apex: apex, primary: apex + "-primary", canary: apex + "-canary"}
}

// findRendered returns the rendered object of an API group (any version),
// kind and name in namespace ns; an object without a namespace is taken to
// be in it (Flux's targetNamespace), and so is a cluster-scoped one.
func findRendered(objs []*yaml.RNode, group, kind, name, ns string) (*yaml.RNode, error) {
	for _, o := range objs {
		if o.GetKind() != kind || o.GetName() != name || apiGroup(o.GetApiVersion()) != group {
			continue
		}
		if got := o.GetNamespace(); got == "" || got == ns {
			return o, nil
		}
	}
	return nil, fmt.Errorf("rendered output lacks %s %s/%s", kind, ns, name)
}

// apiGroup returns the group of an apiVersion ("" for the core group).
func apiGroup(apiVersion string) string {
	g, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return ""
	}
	return g
}

// at returns the node at path, or nil.
func at(n *yaml.RNode, path ...string) *yaml.RNode {
	if n == nil {
		return nil
	}
	v, err := n.Pipe(yaml.Lookup(path...))
	if err != nil {
		return nil
	}
	return v
}

// elements returns the items of a sequence node, or none.
func elements(seq *yaml.RNode) []*yaml.RNode {
	if seq == nil || seq.YNode().Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.RNode, 0, len(seq.YNode().Content))
	for _, n := range seq.YNode().Content {
		out = append(out, yaml.NewRNode(n))
	}
	return out
}

// split is the weights found in a list of weighted destinations.
type split struct {
	primary, canary       int
	hasPrimary, hasCanary bool
}

// destinationWeights reads a list of weighted destinations: each item names
// its destination at path (sn's primary or canary) and has a weight field.
func destinationWeights(list *yaml.RNode, object string, sn svcNames, path ...string) (split, error) {
	var s split
	for _, d := range elements(list) {
		w, err := weightOf(d, "weight")
		if err != nil {
			return s, fmt.Errorf("%s: %w", object, err)
		}
		switch yaml.GetValue(at(d, path...)) {
		case sn.primary:
			s.primary, s.hasPrimary = w, true
		case sn.canary:
			s.canary, s.hasCanary = w, true
		}
	}
	return s, nil
}

// weightOf reads an integer weight field of n; a missing one is 0. A
// string is read as a Kubernetes quantity ("20"), as SMI v1alpha1 writes
// weights.
func weightOf(n *yaml.RNode, field string) (int, error) {
	v := at(n, field)
	if v == nil {
		return 0, nil
	}
	return parseWeight(v.YNode().Value)
}

func parseWeight(s string) (int, error) {
	w, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || w < 0 {
		return 0, fmt.Errorf("weight %q is not a whole number between 0 and 100", s)
	}
	return w, nil
}

// nodeString prints a node in flow style on one line, for messages and
// comparisons; "" for nil.
func nodeString(n *yaml.RNode) string {
	if n == nil {
		return ""
	}
	c := n.Copy()
	c.YNode().Style = yaml.FlowStyle
	s, err := c.String()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(s)
}
