package templates

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

const (
	glooGatewayAPIGroup = "gateway.solo.io"
	glooAPIGroup        = "gloo.solo.io"
)

// glooUpstreamSettings are the fields of spec.upstreamRef's Upstream that
// Flagger copies into the Upstreams it generates.
var glooUpstreamSettings = []string{
	"labels", "sslConfig", "circuitBreakers", "connectionConfig", "loadBalancerConfig",
	"useHttp2", "initialStreamWindowSize", "initialConnectionWindowSize", "httpProxyHostname",
}

// glooRouter renders what Flagger's Gloo Edge router creates: a Kube
// Upstream for the primary Service and one for the canary Service
// (<namespace>-<apex>-primaryupstream-<port>, ...canaryupstream-...), with
// the settings of spec.upstreamRef's Upstream when it is set, and a
// RouteTable named after the apex Service routing to them by weight. A
// VirtualService of the user's delegates to the RouteTable. An A/B test
// puts the rule's header and method matchers on that route and adds a
// route to the primary for the other requests.
type glooRouter struct{}

func (glooRouter) file() string { return "gloo.yaml" }

func (glooRouter) features() features { return features{match: true, matchWeights: true} }

func (glooRouter) check(c *api.Canary) []problem {
	if ref := c.Spec.UpstreamRef; ref != nil {
		if p := requireRef(c.Spec.Provider, "spec.upstreamRef", "Upstream", &ref.CrossRef); p != nil {
			return p
		}
	}
	if a := c.Spec.Analysis; a != nil {
		_, problems := glooMatchers(c.Spec.Provider, a.Match)
		return problems
	}
	return nil
}

// glooMatchers is the A/B rule as Flagger's Gloo router writes it: one
// matcher with every header (exact, or regex) and method of the rule.
func glooMatchers(provider string, match []any) (*yaml.Node, []problem) {
	headers, problems := headerMatches(provider, match, []string{"method"}, []string{"exact", "regex"})
	hs := seq()
	for _, h := range headers {
		var regex any
		if h.kind == "regex" {
			regex = true
		}
		hs.Content = append(hs.Content, mapping("name", h.name, "value", h.value, "regex", regex))
	}
	var methods []string
	for i, m := range match {
		mm, _ := m.(map[string]any)
		if mm["method"] == nil {
			continue
		}
		method, _ := mm["method"].(map[string]any)
		exact, _ := method["exact"].(string)
		if exact == "" {
			problems = append(problems, problem{fmt.Sprintf("spec.analysis.match[%d].method", i), fmt.Sprintf("provider %s matches a method exactly", provider)})
		}
		methods = append(methods, exact)
	}
	if len(hs.Content) == 0 && len(methods) == 0 {
		return nil, problems
	}
	return seq(mapping("headers", hs, "methods", methods)), problems
}

// source is the Upstream of spec.upstreamRef, when set.
func (glooRouter) source(c *api.Canary) *SourceRef {
	ref := c.Spec.UpstreamRef
	if ref == nil {
		return nil
	}
	ns := ref.Namespace
	if ns == "" {
		ns = c.Metadata.Namespace
	}
	return &SourceRef{Field: "spec.upstreamRef", Kind: "Upstream", Namespace: ns, Name: ref.Name}
}

// glooUpstreams are the names of the generated Upstreams.
func glooUpstreams(c *api.Canary) svcNames {
	sn := serviceNamesOf(c)
	name := func(role string) string {
		return fmt.Sprintf("%s-%s-%supstream-%d", c.Metadata.Namespace, sn.apex, role, c.Spec.Service.Port)
	}
	return svcNames{apex: sn.apex, primary: name("primary"), canary: name("canary")}
}

func (glooRouter) objects(c *api.Canary, n names, config *yaml.RNode, r Routing, _ Options) ([]*yaml.Node, error) {
	up := glooUpstreams(c)
	upstream := func(name, svc, selector string) *yaml.Node {
		spec := mapping()
		if config != nil {
			for _, f := range glooUpstreamSettings {
				if v := at(config, "spec", f); v != nil {
					spec.Content = append(spec.Content, str(f), v.Copy().YNode())
				}
			}
		}
		spec.Content = append(spec.Content, mapping("kube", mapping(
			"serviceName", svc,
			"serviceNamespace", n.namespace,
			"servicePort", c.Spec.Service.Port,
			"selector", map[string]string{n.labelKey: selector},
		)).Content...)
		return mapping(
			"apiVersion", glooAPIGroup+"/v1",
			"kind", "Upstream",
			"metadata", meta(name, n.namespace, nil, nil),
			"spec", spec,
		)
	}
	destination := func(name string, weight int) *yaml.Node {
		return mapping("destination", mapping("upstream", mapping("name", name, "namespace", n.namespace)), "weight", weight)
	}
	route := func(matchers *yaml.Node, primary, canary int) *yaml.Node {
		return mapping(
			"matchers", matchers,
			"routeAction", mapping("multi", mapping("destinations", seq(
				destination(up.primary, primary),
				destination(up.canary, canary),
			))),
			"inheritablePathMatchers", true,
		)
	}
	routes := seq(route(nil, r.PrimaryWeight, r.CanaryWeight))
	if len(r.Match) > 0 {
		matchers, problems := glooMatchers(c.Spec.Provider, r.Match)
		if len(problems) > 0 {
			return nil, fmt.Errorf("%s: %s", problems[0].field, problems[0].msg)
		}
		// Flagger's route table has the matching route only; the
		// default route after it keeps the other requests on the primary
		// whatever the VirtualService that delegates to it routes.
		routes = seq(route(matchers, r.PrimaryWeight, r.CanaryWeight), route(nil, 100, 0))
	}
	labels, annotations := apexMetadata(c.Spec.Service)
	table := mapping(
		"apiVersion", glooGatewayAPIGroup+"/v1",
		"kind", "RouteTable",
		"metadata", meta(n.apex, n.namespace, labels, annotations),
		"spec", mapping("routes", routes),
	)
	return []*yaml.Node{
		upstream(up.primary, n.primarySvc, n.labelValue+"-primary"),
		upstream(up.canary, n.canarySvc, n.labelValue),
		table,
	}, nil
}

func (glooRouter) weights(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	up := glooUpstreams(c)
	table, err := findRendered(objs, glooGatewayAPIGroup, "RouteTable", up.apex, c.Metadata.Namespace)
	if err != nil {
		return Routed{}, err
	}
	out := Routed{Object: objectName(table)}
	routes := elements(at(table, "spec", "routes"))
	if len(routes) == 0 {
		return out, fmt.Errorf("%s has no routes", out.Object)
	}
	for _, name := range []string{up.primary, up.canary} {
		if _, err := findRendered(objs, glooAPIGroup, "Upstream", name, c.Metadata.Namespace); err != nil {
			return out, err
		}
	}
	out.Conditional = len(routes) > 1
	return primaryShare(out, at(routes[0], "routeAction", "multi", "destinations"), up, "destination", "upstream", "name")
}
