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
// and canary backends with their weights. Mirroring (blue/green) adds a
// RequestMirror filter to the canary; A/B testing and session affinity add
// rules (see objects).
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
	if a := c.Spec.Analysis; a != nil {
		if _, err := gatewayMatches(a.Match); err != nil {
			out = append(out, problem{"spec.analysis.match", err.Error()})
		}
	}
	return out
}

func (gatewayRouter) features() features {
	return features{match: true, matchWeights: true, mirrorBlueGreen: true, cookie: true}
}

func (g gatewayRouter) objects(c *api.Canary, n names, _ *yaml.RNode, r Routing, _ Options) ([]*yaml.Node, error) {
	s := c.Spec.Service
	svcMatches, err := gatewayMatches(s.Match)
	if err != nil {
		return nil, fmt.Errorf("spec.service.match: %w", err)
	}
	matches := svcMatches
	if len(matches.Content) == 0 {
		matches = seq(mapping("path", mapping("type", "PathPrefix", "value", "/")))
	}
	backend := func(name string, weight any, filters *yaml.Node) *yaml.Node {
		return mapping("group", str(""), "kind", "Service", "name", name, "port", s.Port, "weight", weight, "filters", filters)
	}
	var timeouts *yaml.Node
	if s.Timeout != "" {
		timeouts = mapping("request", s.Timeout)
	}
	rule := func(matches, filters *yaml.Node, backends ...*yaml.Node) *yaml.Node {
		return mapping("matches", matches, "filters", filters, "backendRefs", seq(backends...), "timeouts", timeouts)
	}
	ck := r.Cookie
	if ck == nil {
		ck = &Cookie{}
	}
	var primaryCookie, canaryCookie *yaml.Node
	if ck.Canary != "" {
		canaryCookie = seq(setCookieFilter(ck.Canary + "; " + ck.Attributes))
		if ck.Primary != "" {
			primaryCookie = seq(setCookieFilter(ck.Primary + "; " + ck.PrimaryAttributes))
		}
	}
	filters := gatewayFilters(s)
	if r.Mirror {
		filters.Content = append(filters.Content, mapping(
			"type", "RequestMirror",
			"requestMirror", mapping("backendRef", mapping("group", str(""), "kind", "Service", "name", n.canarySvc, "port", s.Port)),
		))
	}
	weighted := rule(matches, filters, backend(n.primarySvc, r.PrimaryWeight, primaryCookie), backend(n.canarySvc, r.CanaryWeight, canaryCookie))
	sticky := func(cookie string) *yaml.Node {
		m, _ := gatewayMatches(cookieMatch(cookie))
		return mergeMatch(m, svcMatches, "headers", "queryParams")
	}
	var rules *yaml.Node
	switch {
	case len(r.Match) > 0:
		abMatches, err := gatewayMatches(r.Match)
		if err != nil {
			return nil, fmt.Errorf("spec.analysis.match: %w", err)
		}
		weighted = rule(mergeMatch(abMatches, matches, "headers", "queryParams"), filters, backend(n.primarySvc, r.PrimaryWeight, nil), backend(n.canarySvc, r.CanaryWeight, nil))
		rules = seq(weighted, rule(matches, gatewayFilters(s), backend(n.primarySvc, 100, nil)))
	case ck.Canary != "" && ck.Primary != "":
		rules = seq(
			rule(sticky(ck.Canary), filters, backend(n.primarySvc, 0, nil), backend(n.canarySvc, 100, nil)),
			rule(sticky(ck.Primary), filters, backend(n.primarySvc, 100, nil), backend(n.canarySvc, 0, nil)),
			weighted)
	case ck.Canary != "":
		rules = seq(rule(sticky(ck.Canary), filters, backend(n.primarySvc, 0, nil), backend(n.canarySvc, 100, nil)), weighted)
	case ck.Previous != "":
		expire := seq(append(slices.Clone(filters.Content), setCookieFilter(expired(ck.Previous)))...)
		rules = seq(rule(sticky(ck.Previous), expire, backend(n.primarySvc, r.PrimaryWeight, nil), backend(n.canarySvc, r.CanaryWeight, nil)), weighted)
	default:
		rules = seq(weighted)
	}
	labels, annotations := apexMetadata(s)
	route := mapping(
		"apiVersion", gatewayAPIGroup+"/"+g.version,
		"kind", "HTTPRoute",
		"metadata", meta(n.apex, n.namespace, labels, annotations),
		"spec", mapping(
			"parentRefs", s.GatewayRefs,
			"hostnames", s.Hosts,
			"rules", rules,
		),
	)
	return []*yaml.Node{route}, nil
}

// setCookieFilter is a filter whose responses set a cookie.
func setCookieFilter(value string) *yaml.Node {
	return mapping("type", "ResponseHeaderModifier", "responseHeaderModifier", mapping("add", seq(mapping("name", setCookieHeader, "value", value))))
}

// weights reads the rule that splits between the primary and the canary
// (two backends), as Flagger's GetRoutes does: the last one, those of
// session affinity coming before it; a rule after it (A/B testing's
// default rule) makes it conditional. It also reads whether a rule
// mirrors to the canary, and the cookie the canary's responses set.
func (gatewayRouter) weights(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	sn := serviceNamesOf(c)
	hr, err := findRendered(objs, gatewayAPIGroup, "HTTPRoute", sn.apex, c.Metadata.Namespace)
	if err != nil {
		return Routed{}, err
	}
	out := Routed{Object: objectName(hr)}
	rules := elements(at(hr, "spec", "rules"))
	weighted := -1
	for i, rule := range rules {
		for _, f := range elements(at(rule, "filters")) {
			if yaml.GetValue(at(f, "type")) == "RequestMirror" && yaml.GetValue(at(f, "requestMirror", "backendRef", "name")) == sn.canary {
				out.Mirror = true
			}
		}
		s, err := destinationWeights(at(rule, "backendRefs"), out.Object, sn, "name")
		if err != nil {
			return out, err
		}
		if s.hasPrimary && s.hasCanary {
			out.PrimaryWeight, out.CanaryWeight, weighted = s.primary, s.canary, i
		}
	}
	if weighted < 0 {
		return out, fmt.Errorf("%s has no rule splitting between %s and %s", out.Object, sn.primary, sn.canary)
	}
	out.Conditional = weighted < len(rules)-1
	for _, b := range elements(at(rules[weighted], "backendRefs")) {
		if yaml.GetValue(at(b, "name")) != sn.canary {
			continue
		}
		for _, f := range elements(at(b, "filters")) {
			for _, h := range elements(at(f, "responseHeaderModifier", "add")) {
				if yaml.GetValue(at(h, "name")) == setCookieHeader {
					out.SetCookie = setCookieName(yaml.GetValue(at(h, "value")))
				}
			}
		}
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
