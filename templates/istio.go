package templates

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

const (
	istioAPIGroup   = "networking.istio.io"
	istioAPIVersion = istioAPIGroup + "/v1beta1"
)

// istioRouter renders what Flagger's Istio router creates: the apex
// VirtualService that splits traffic between the primary and canary
// Services, and a DestinationRule for each of them.
type istioRouter struct {
	noSource
}

func (istioRouter) file() string { return "istio.yaml" }

func (istioRouter) features() features {
	return features{match: true, matchWeights: true, mirror: true, mirrorBlueGreen: true, cookie: true}
}

func (istioRouter) check(c *api.Canary) []problem {
	s := c.Spec.Service
	var out []problem
	if s.Delegation && (len(s.Hosts) > 0 || len(s.Gateways) > 0) {
		out = append(out, problem{"spec.service.delegation", "a delegate VirtualService has no hosts and no gateways: remove spec.service.hosts and spec.service.gateways"})
	}
	if a := c.Spec.Analysis; a != nil && strings.EqualFold(s.AppProtocol, "tcp") {
		const why = "a TCP service (spec.service.appProtocol: tcp) is routed by weight only"
		if len(a.Match) > 0 {
			out = append(out, problem{"spec.analysis.match", why})
		}
		if a.Mirror {
			out = append(out, problem{"spec.analysis.mirror", why})
		}
		if a.SessionAffinity != nil {
			out = append(out, problem{"spec.analysis.sessionAffinity", why})
		}
	}
	return out
}

func (istioRouter) objects(c *api.Canary, n names, _ *yaml.RNode, r Routing, _ Options) ([]*yaml.Node, error) {
	s := c.Spec.Service
	hosts := slices.Clone(s.Hosts)
	if !slices.Contains(hosts, n.apex) && !slices.Contains(hosts, "*") {
		hosts = append(hosts, n.apex)
	}
	gateways := s.Gateways
	if len(gateways) == 0 {
		gateways = []string{"mesh"}
	}
	if s.Delegation {
		// A delegate VirtualService is included by another one, which
		// has the hosts and gateways.
		hosts, gateways = nil, nil
	}
	// With port discovery and an ingress gateway (or a delegating
	// VirtualService), destinations name the port, as the gateway cannot
	// infer it.
	var port *yaml.Node
	if s.PortDiscovery && (s.Delegation || len(s.Gateways) > 0 && s.Gateways[0] != "mesh") {
		port = mapping("number", s.Port)
	}
	destination := func(host string, weight int) *yaml.Node {
		return mapping("destination", mapping("host", host, "port", port), "weight", weight)
	}
	var spec *yaml.Node
	if strings.EqualFold(s.AppProtocol, "tcp") {
		var match []*yaml.Node
		for _, m := range s.Match {
			if mm, ok := m.(map[string]any); ok && mm["port"] != nil {
				match = append(match, mapping("port", mm["port"]))
			}
		}
		route := seq(destination(n.primarySvc, r.PrimaryWeight), destination(n.canarySvc, r.CanaryWeight))
		spec = mapping("hosts", hosts, "gateways", gateways, "tcp", seq(mapping("match", seq(match...), "route", route)))
	} else {
		spec = mapping("hosts", hosts, "gateways", gateways, "http", istioHTTP(s, n, port, r))
	}

	labels, annotations := apexMetadata(s)
	vs := mapping(
		"apiVersion", istioAPIVersion,
		"kind", "VirtualService",
		"metadata", meta(n.apex, n.namespace, labels, annotations),
		"spec", spec,
	)
	rule := func(host string) *yaml.Node {
		return mapping(
			"apiVersion", istioAPIVersion,
			"kind", "DestinationRule",
			"metadata", meta(host, n.namespace, nil, nil),
			"spec", mapping("host", host, "trafficPolicy", s.TrafficPolicy),
		)
	}
	return []*yaml.Node{vs, rule(n.primarySvc), rule(n.canarySvc)}, nil
}

// istioHTTP returns the http routes of the VirtualService, as Flagger's
// SetRoutes writes them: one weighted route, with the canary mirrored when
// the routing mirrors; for an A/B rule, the weighted route on the rule's
// matches (merged with the service's) and a default route to the primary;
// with session affinity, routes before it that send the requests carrying
// the run's cookie to the canary (and the primary's cookie to the
// primary), the canary's (and primary's) responses setting them, or once
// the run is over, a route that expires the last run's cookie.
func istioHTTP(s api.Service, n names, port *yaml.Node, r Routing) *yaml.Node {
	destination := func(host string, weight int, headers any) *yaml.Node {
		return mapping("destination", mapping("host", host, "port", port), "weight", weight, "headers", headers)
	}
	route := func(name string, match *yaml.Node, headers any, dests ...*yaml.Node) *yaml.Node {
		return mapping(
			"name", name,
			"match", match,
			"rewrite", istioRewrite(s.Rewrite),
			"timeout", s.Timeout,
			"retries", s.Retries,
			"corsPolicy", s.CorsPolicy,
			"headers", headers,
			"route", seq(dests...),
		)
	}
	svcMatch := node(s.Match)
	ck := r.Cookie
	if ck == nil {
		ck = &Cookie{}
	}
	var primaryCookie, canaryCookie any
	if ck.Canary != "" {
		canaryCookie = responseHeader(nil, setCookieHeader, ck.Canary+"; "+ck.Attributes)
		if ck.Primary != "" {
			primaryCookie = responseHeader(nil, setCookieHeader, ck.Primary+"; "+ck.PrimaryAttributes)
		}
	}
	weighted := route("", svcMatch, s.Headers,
		destination(n.primarySvc, r.PrimaryWeight, primaryCookie),
		destination(n.canarySvc, r.CanaryWeight, canaryCookie))
	if r.Mirror {
		var pct *yaml.Node
		if r.MirrorWeight > 0 {
			pct = mapping("value", r.MirrorWeight)
		}
		weighted.Content = append(weighted.Content, mapping("mirror", mapping("host", n.canarySvc), "mirrorPercentage", pct).Content...)
	}
	sticky := func(cookie string) *yaml.Node {
		return mergeMatch(node(cookieMatch(cookie)), svcMatch, "headers", "sourceLabels")
	}
	switch {
	case len(r.Match) > 0:
		abMatch := mergeMatch(node(r.Match), svcMatch, "headers", "sourceLabels")
		weighted = route("", abMatch, s.Headers, destination(n.primarySvc, r.PrimaryWeight, nil), destination(n.canarySvc, r.CanaryWeight, nil))
		return seq(weighted, route("", svcMatch, s.Headers, destination(n.primarySvc, 100, nil)))
	case ck.Canary != "" && ck.Primary != "":
		return seq(
			route(stickyRoute, sticky(ck.Canary), s.Headers, destination(n.primarySvc, 0, nil), destination(n.canarySvc, 100, nil)),
			route(stickyRoute+"-primary", sticky(ck.Primary), s.Headers, destination(n.primarySvc, 100, nil), destination(n.canarySvc, 0, nil)),
			weighted)
	case ck.Canary != "":
		return seq(route(stickyRoute, sticky(ck.Canary), s.Headers, destination(n.primarySvc, 0, nil), destination(n.canarySvc, 100, nil)), weighted)
	case ck.Previous != "":
		expire := route(stickyRoute, sticky(ck.Previous), responseHeader(s.Headers, setCookieHeader, expired(ck.Previous)),
			destination(n.primarySvc, r.PrimaryWeight, nil), destination(n.canarySvc, r.CanaryWeight, nil))
		return seq(expire, weighted)
	}
	return seq(weighted)
}

// stickyRoute names the session-affinity routes, as Flagger does.
const stickyRoute = "sticky-route"

// responseHeader returns a copy of Istio headers operations h with
// response.add[name] = value.
func responseHeader(h map[string]any, name, value string) map[string]any {
	out, _ := integral(h).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	resp, _ := out["response"].(map[string]any)
	if resp == nil {
		resp = map[string]any{}
	}
	add, _ := resp["add"].(map[string]any)
	if add == nil {
		add = map[string]any{}
	}
	add[name] = value
	resp["add"] = add
	out["response"] = resp
	return out
}

// istioRewrite keeps the parts of spec.service.rewrite Istio takes (Flagger's
// GetIstioRewrite); "type" is for the Gateway API.
func istioRewrite(rw map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"uri", "authority"} {
		if v, ok := rw[k]; ok {
			out[k] = v
		}
	}
	return out
}

// weights reads the weighted route of the VirtualService: the http (or,
// for a TCP service, tcp) route whose destinations include the canary, as
// Flagger's GetRoutes does.
func (istioRouter) weights(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	sn := serviceNamesOf(c)
	vs, err := findRendered(objs, istioAPIGroup, "VirtualService", sn.apex, c.Metadata.Namespace)
	if err != nil {
		return Routed{}, err
	}
	out := Routed{Object: objectName(vs)}
	var routes []*yaml.RNode
	for _, field := range []string{"http", "tcp"} {
		rs, _ := vs.Pipe(yaml.Lookup("spec", field))
		elems, _ := rs.Elements()
		routes = append(routes, elems...)
	}
	if len(routes) == 0 {
		return out, fmt.Errorf("%s has no http or tcp routes", out.Object)
	}
	// The weighted route is the last one to the canary (the routes of
	// session affinity come before it); a route after it (A/B testing's
	// default route) makes it conditional.
	weighted := -1
	for i, route := range routes {
		w, err := destinationWeights(at(route, "route"), out.Object, sn, "destination", "host")
		if err != nil {
			return out, err
		}
		if w.hasCanary {
			weighted = i
			out.PrimaryWeight, out.CanaryWeight = w.primary, w.canary
		}
		out.Mirror = out.Mirror || yaml.GetValue(at(route, "mirror", "host")) == sn.canary
	}
	if weighted < 0 {
		return out, fmt.Errorf("%s has no route to %s", out.Object, sn.canary)
	}
	out.Conditional = weighted < len(routes)-1
	for _, d := range elements(at(routes[weighted], "route")) {
		if yaml.GetValue(at(d, "destination", "host")) == sn.canary {
			out.SetCookie = setCookieName(yaml.GetValue(at(d, "headers", "response", "add", setCookieHeader)))
		}
	}
	return out, nil
}
