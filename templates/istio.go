package templates

import (
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

const istioAPIVersion = "networking.istio.io/v1beta1"

// istioRouter renders what Flagger's Istio router creates: the apex
// VirtualService that splits traffic between the primary and canary
// Services, and a DestinationRule for each of them.
type istioRouter struct{}

func (istioRouter) file() string { return "istio.yaml" }

func (istioRouter) objects(c *api.Canary, n names, r Routing) ([]*yaml.Node, error) {
	s := c.Spec.Service
	hosts := slices.Clone(s.Hosts)
	if !slices.Contains(hosts, n.apex) && !slices.Contains(hosts, "*") {
		hosts = append(hosts, n.apex)
	}
	gateways := s.Gateways
	if len(gateways) == 0 {
		gateways = []string{"mesh"}
	}
	// With port discovery and an ingress gateway, destinations name the
	// port, as the gateway cannot infer it.
	var port *yaml.Node
	if s.PortDiscovery && len(s.Gateways) > 0 && s.Gateways[0] != "mesh" {
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

	var labels, annotations map[string]string
	if s.Apex != nil {
		labels, annotations = s.Apex.Labels, s.Apex.Annotations
	}
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
