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

func (istioRouter) check(c *api.Canary) []problem {
	s := c.Spec.Service
	if s.Delegation && (len(s.Hosts) > 0 || len(s.Gateways) > 0) {
		return []problem{{"spec.service.delegation", "a delegate VirtualService has no hosts and no gateways: remove spec.service.hosts and spec.service.gateways"}}
	}
	return nil
}

func (istioRouter) objects(c *api.Canary, n names, _ *yaml.RNode, r Routing, _ Options) ([]*yaml.Node, error) {
	if err := r.unsupported(c.Spec.Provider, true); err != nil {
		return nil, err
	}
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
	route := seq(destination(n.primarySvc, r.PrimaryWeight), destination(n.canarySvc, r.CanaryWeight))

	var spec *yaml.Node
	if strings.EqualFold(s.AppProtocol, "tcp") {
		var match []*yaml.Node
		for _, m := range s.Match {
			if mm, ok := m.(map[string]any); ok && mm["port"] != nil {
				match = append(match, mapping("port", mm["port"]))
			}
		}
		spec = mapping("hosts", hosts, "gateways", gateways, "tcp", seq(mapping("match", seq(match...), "route", route)))
	} else {
		var mirror, mirrorPercentage *yaml.Node
		if r.Mirror {
			mirror = mapping("host", n.canarySvc)
			if r.MirrorWeight > 0 {
				mirrorPercentage = mapping("value", r.MirrorWeight)
			}
		}
		http := mapping(
			"match", s.Match,
			"rewrite", istioRewrite(s.Rewrite),
			"timeout", s.Timeout,
			"retries", s.Retries,
			"corsPolicy", s.CorsPolicy,
			"headers", s.Headers,
			"route", route,
			"mirror", mirror,
			"mirrorPercentage", mirrorPercentage,
		)
		spec = mapping("hosts", hosts, "gateways", gateways, "http", seq(http))
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
	for _, route := range routes {
		dests, _ := route.Pipe(yaml.Lookup("route"))
		w, err := destinationWeights(dests, out.Object, sn, "destination", "host")
		if err != nil {
			return out, err
		}
		if !w.hasCanary {
			continue
		}
		out.PrimaryWeight, out.CanaryWeight = w.primary, w.canary
		out.Mirror = yaml.GetValue(at(route, "mirror", "host")) != ""
		return out, nil
	}
	return out, fmt.Errorf("%s has no route to %s", out.Object, sn.canary)
}
