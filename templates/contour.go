package templates

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

const contourAPIGroup = "projectcontour.io"

// contourRouter renders what Flagger's Contour router creates: an
// HTTPProxy named after the apex Service (without a virtual host: a root
// HTTPProxy includes it) with one route on the service's URI prefix (/ by
// default) to the primary and canary Services by weight, each with the
// l5d-dst-override header Linkerd needs, and the service's timeout and
// retries. An A/B test puts the rule's header conditions on that route and
// adds a route to the primary for the other requests.
type contourRouter struct {
	noSource
}

func (contourRouter) file() string { return "contour.yaml" }

func (contourRouter) features() features { return features{match: true, matchWeights: true} }

func (contourRouter) check(c *api.Canary) []problem {
	if a := c.Spec.Analysis; a != nil {
		_, problems := headerMatches(c.Spec.Provider, a.Match, nil, []string{"exact", "prefix", "suffix"})
		return problems
	}
	return nil
}

func (contourRouter) objects(c *api.Canary, n names, _ *yaml.RNode, r Routing, _ Options) ([]*yaml.Node, error) {
	s := c.Spec.Service
	service := func(name string, weight int) *yaml.Node {
		return mapping(
			"name", name,
			"port", s.Port,
			"weight", weight,
			"requestHeadersPolicy", mapping("set", seq(mapping(
				"name", "l5d-dst-override",
				"value", fmt.Sprintf("%s.%s.svc.cluster.local:%d", name, n.namespace, s.Port),
			))),
		)
	}
	var timeout, retries *yaml.Node
	if s.Timeout != "" {
		timeout = mapping("response", s.Timeout, "idle", "5m")
	}
	if s.Retries != nil {
		retries = mapping("count", s.Retries["attempts"], "perTryTimeout", s.Retries["perTryTimeout"])
	}
	route := func(conditions *yaml.Node, primary, canary int) *yaml.Node {
		return mapping(
			"conditions", conditions,
			"timeoutPolicy", timeout,
			"retryPolicy", retries,
			"services", seq(service(n.primarySvc, primary), service(n.canarySvc, canary)),
		)
	}
	prefix := seq(mapping("prefix", uriPrefix(s)))
	routes := seq(route(prefix, r.PrimaryWeight, r.CanaryWeight))
	if len(r.Match) > 0 {
		// A/B testing: the weights apply to the requests that have the
		// headers; a second route sends the others to the primary.
		headers, problems := headerMatches(c.Spec.Provider, r.Match, nil, []string{"exact", "prefix", "suffix"})
		if len(problems) > 0 {
			return nil, fmt.Errorf("%s: %s", problems[0].field, problems[0].msg)
		}
		conditions := seq()
		for _, h := range headers {
			op := "contains" // Flagger's Contour router writes prefix and suffix so
			if h.kind == "exact" {
				op = "exact"
			}
			conditions.Content = append(conditions.Content, mapping("prefix", uriPrefix(s), "header", mapping("name", h.name, op, h.value)))
		}
		routes = seq(route(conditions, r.PrimaryWeight, r.CanaryWeight), route(prefix, 100, 0))
	}
	proxy := mapping(
		"apiVersion", contourAPIGroup+"/v1",
		"kind", "HTTPProxy",
		"metadata", meta(n.apex, n.namespace, nil, nil),
		"spec", mapping("routes", routes),
	)
	return []*yaml.Node{proxy}, nil
}

// uriPrefix is the prefix of the service's first match, "/" by default,
// as Flagger's Contour and App Mesh routers take it.
func uriPrefix(s api.Service) string {
	if len(s.Match) > 0 {
		if m, ok := s.Match[0].(map[string]any); ok {
			if uri, ok := m["uri"].(map[string]any); ok {
				if p, _ := uri["prefix"].(string); p != "" {
					return p
				}
			}
		}
	}
	return "/"
}

// weights reads the primary's weight in the first route, as Flagger's
// GetRoutes does; the canary has the rest.
func (contourRouter) weights(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	sn := serviceNamesOf(c)
	proxy, err := findRendered(objs, contourAPIGroup, "HTTPProxy", sn.apex, c.Metadata.Namespace)
	if err != nil {
		return Routed{}, err
	}
	out := Routed{Object: objectName(proxy)}
	routes := elements(at(proxy, "spec", "routes"))
	if len(routes) == 0 {
		return out, fmt.Errorf("%s has no routes", out.Object)
	}
	out.Conditional = len(routes) > 1
	return primaryShare(out, at(routes[0], "services"), sn, "name")
}

// primaryShare reads the primary's weight from a list of weighted
// destinations; the canary has the rest (Flagger's Contour, Gloo, Traefik
// and APISIX routers read weights so).
func primaryShare(out Routed, list *yaml.RNode, sn svcNames, path ...string) (Routed, error) {
	s, err := destinationWeights(list, out.Object, sn, path...)
	if err != nil {
		return out, err
	}
	if !s.hasPrimary || s.primary > 100 {
		return out, fmt.Errorf("%s has no weight (0 to 100) for %s", out.Object, sn.primary)
	}
	out.PrimaryWeight, out.CanaryWeight = s.primary, 100-s.primary
	return out, nil
}
