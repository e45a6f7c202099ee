package templates

import (
	"fmt"
	"maps"
	"slices"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

const gatewayAPIGroup = "gateway.networking.k8s.io"

// gatewayRouter renders what Flagger's Gateway API routers create: one
// HTTPRoute named after the apex Service, attached to the gatewayRefs (a
// Gateway, or a Service for GAMMA meshes such as Linkerd and Istio
// ambient), with one rule: the service's matches (PathPrefix / by
// default), its header and rewrite filters and timeout, and the primary
// and canary backends with their weights. Mirroring adds a RequestMirror
// filter to the canary.
type gatewayRouter struct {
	noSource
	// version is the HTTPRoute API version, v1 or v1beta1.
	version string
}

func (gatewayRouter) file() string { return "gatewayapi.yaml" }

func (g gatewayRouter) check(c *api.Canary) []problem {
	var out []problem
	if len(c.Spec.Service.GatewayRefs) == 0 {
		out = append(out, problem{"spec.service.gatewayRefs", fmt.Sprintf("is required with provider %s: the Gateways (or, for a GAMMA mesh, the Service) the HTTPRoute attaches to", c.Spec.Provider)})
	}
	for i, ref := range c.Spec.Service.GatewayRefs {
		if m, ok := ref.(map[string]any); !ok || m["name"] == nil || m["name"] == "" {
			out = append(out, problem{fmt.Sprintf("spec.service.gatewayRefs[%d].name", i), "is required"})
		}
	}
	if _, err := gatewayMatches(c.Spec.Service.Match); err != nil {
		out = append(out, problem{"spec.service.match", err.Error()})
	}
	return out
}

func (g gatewayRouter) objects(c *api.Canary, n names, _ *yaml.RNode, r Routing, _ Options) ([]*yaml.Node, error) {
	if err := r.unsupported(c.Spec.Provider, true); err != nil {
		return nil, err
	}
	s := c.Spec.Service
	matches, err := gatewayMatches(s.Match)
	if err != nil {
		return nil, fmt.Errorf("spec.service.match: %w", err)
	}
	if len(matches.Content) == 0 {
		matches = seq(mapping("path", mapping("type", "PathPrefix", "value", "/")))
	}
	backend := func(name string, weight any) *yaml.Node {
		return mapping("group", str(""), "kind", "Service", "name", name, "port", s.Port, "weight", weight)
	}
	filters := gatewayFilters(s)
	if r.Mirror {
		filters.Content = append(filters.Content, mapping(
			"type", "RequestMirror",
			"requestMirror", mapping("backendRef", mapping("group", str(""), "kind", "Service", "name", n.canarySvc, "port", s.Port)),
		))
	}
	var timeouts *yaml.Node
	if s.Timeout != "" {
		timeouts = mapping("request", s.Timeout)
	}
	labels, annotations := apexMetadata(s)
	route := mapping(
		"apiVersion", gatewayAPIGroup+"/"+g.version,
		"kind", "HTTPRoute",
		"metadata", meta(n.apex, n.namespace, labels, annotations),
		"spec", mapping(
			"parentRefs", s.GatewayRefs,
			"hostnames", s.Hosts,
			"rules", seq(mapping(
				"matches", matches,
				"filters", filters,
				"backendRefs", seq(backend(n.primarySvc, r.PrimaryWeight), backend(n.canarySvc, r.CanaryWeight)),
				"timeouts", timeouts,
			)),
		),
	)
	return []*yaml.Node{route}, nil
}

// weights reads the rule that splits between the primary and the canary
// (two backends), as Flagger's GetRoutes does, and whether a rule mirrors
// to the canary.
func (gatewayRouter) weights(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	sn := serviceNamesOf(c)
	hr, err := findRendered(objs, gatewayAPIGroup, "HTTPRoute", sn.apex, c.Metadata.Namespace)
	if err != nil {
		return Routed{}, err
	}
	out := Routed{Object: objectName(hr)}
	found := false
	for _, rule := range elements(at(hr, "spec", "rules")) {
		for _, f := range elements(at(rule, "filters")) {
			if yaml.GetValue(at(f, "type")) == "RequestMirror" && yaml.GetValue(at(f, "requestMirror", "backendRef", "name")) == sn.canary {
				out.Mirror = true
			}
		}
		s, err := destinationWeights(at(rule, "backendRefs"), out.Object, sn, "name")
		if err != nil {
			return out, err
		}
		if s.hasPrimary && s.hasCanary && !found {
			out.PrimaryWeight, out.CanaryWeight, found = s.primary, s.canary, true
		}
	}
	if !found {
		return out, fmt.Errorf("%s has no rule splitting between %s and %s", out.Object, sn.primary, sn.canary)
	}
	return out, nil
}

// gatewayMatches maps Istio HTTPMatchRequests (spec.service.match) to
// HTTPRouteMatches, as Flagger does: uri regex, exact or prefix to a path
// match, an exact method, headers and query parameters by exact value or
// regex. Header and parameter names are sorted, so the output is stable.
func gatewayMatches(match []any) (*yaml.Node, error) {
	out := seq()
	for i, m := range match {
		mm, _ := m.(map[string]any)
		match := mapping()
		if uri, ok := mm["uri"].(map[string]any); ok {
			typ, value, ok := pickMatch(uri, "regex", "RegularExpression", "exact", "Exact", "prefix", "PathPrefix")
			if !ok {
				return nil, fmt.Errorf("[%d].uri: the Gateway API matches a path by regex, exact or prefix", i)
			}
			match.Content = append(match.Content, mapping("path", mapping("type", typ, "value", value)).Content...)
		}
		if method, ok := mm["method"].(map[string]any); ok {
			exact, _ := method["exact"].(string)
			if exact == "" {
				return nil, fmt.Errorf("[%d].method: the Gateway API matches a method exactly", i)
			}
			match.Content = append(match.Content, mapping("method", exact).Content...)
		}
		for _, kind := range []string{"headers", "queryParams"} {
			values, _ := mm[kind].(map[string]any)
			list := seq()
			for _, name := range slices.Sorted(maps.Keys(values)) {
				sm, _ := values[name].(map[string]any)
				typ, value, ok := pickMatch(sm, "exact", "Exact", "regex", "RegularExpression")
				if !ok {
					return nil, fmt.Errorf("[%d].%s.%s: the Gateway API matches by exact value or regex", i, kind, name)
				}
				list.Content = append(list.Content, mapping("name", name, "type", typ, "value", value))
			}
			match.Content = append(match.Content, mapping(kind, list).Content...)
		}
		if len(match.Content) > 0 {
			out.Content = append(out.Content, match)
		}
	}
	return out, nil
}

// pickMatch returns the type and value of the first of the Istio
// StringMatch keys (each followed by the Gateway API type it maps to) that
// m sets.
func pickMatch(m map[string]any, keysAndTypes ...string) (typ, value string, ok bool) {
	for i := 0; i+1 < len(keysAndTypes); i += 2 {
		if v, _ := m[keysAndTypes[i]].(string); v != "" {
			return keysAndTypes[i+1], v, true
		}
	}
	return "", "", false
}

// gatewayFilters maps spec.service.headers (Istio's request/response
// add, set and remove) to header modifier filters and spec.service.rewrite
// to a URLRewrite filter, as Flagger does.
func gatewayFilters(s api.Service) *yaml.Node {
	out := seq()
	for _, dir := range []struct{ key, typ, field string }{
		{"request", "RequestHeaderModifier", "requestHeaderModifier"},
		{"response", "ResponseHeaderModifier", "responseHeaderModifier"},
	} {
		ops, ok := s.Headers[dir.key].(map[string]any)
		if !ok {
			continue
		}
		headerList := func(op string) *yaml.Node {
			values, _ := ops[op].(map[string]any)
			list := seq()
			for _, name := range slices.Sorted(maps.Keys(values)) {
				list.Content = append(list.Content, mapping("name", name, "value", fmt.Sprint(values[name])))
			}
			return list
		}
		var remove []string
		if rm, ok := ops["remove"].([]any); ok {
			for _, r := range rm {
				remove = append(remove, fmt.Sprint(r))
			}
		}
		out.Content = append(out.Content, mapping(
			"type", dir.typ,
			dir.field, mapping("add", headerList("add"), "set", headerList("set"), "remove", remove),
		))
	}
	if rw := s.Rewrite; len(rw) > 0 {
		authority, _ := rw["authority"].(string)
		uri, _ := rw["uri"].(string)
		var path *yaml.Node
		if uri != "" {
			typ, _ := rw["type"].(string)
			if typ == "" {
				typ = "ReplacePrefixMatch"
			}
			field := "replacePrefixMatch"
			if typ == "ReplaceFullPath" {
				field = "replaceFullPath"
			}
			path = mapping("type", typ, field, uri)
		}
		out.Content = append(out.Content, mapping(
			"type", "URLRewrite",
			"urlRewrite", mapping("hostname", authority, "path", path),
		))
	}
	return out
}
