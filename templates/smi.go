package templates

import (
	"encoding/json"
	"fmt"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

const smiAPIGroup = "split.smi-spec.io"

// smiRouter renders what Flagger's SMI routers create (linkerd,
// smi:<version>[:<mesh>], osm): one TrafficSplit named after the apex
// Service, its backends the canary first, then the primary. v1alpha1
// writes weights as Kubernetes quantities ("20"), later versions as
// integers. SMI has no match rules and no mirroring.
type smiRouter struct {
	noSource
	noChecks
	weightsOnly
	// version is the TrafficSplit API version; mesh the mesh suffix of
	// the provider (linkerd, osm, istio...), possibly empty.
	version, mesh string
}

func (smiRouter) file() string { return "smi.yaml" }

func (sr smiRouter) objects(c *api.Canary, n names, _ *yaml.RNode, r Routing, _ Options) ([]*yaml.Node, error) {
	host := n.apex
	if hs := c.Spec.Service.Hosts; len(hs) > 0 {
		host = hs[0]
	}
	weight := func(w int) any {
		if sr.version == "v1alpha1" {
			return strconv.Itoa(w)
		}
		return w
	}
	var annotations map[string]string
	if gw := c.Spec.Service.Gateways; sr.mesh == "istio" && len(gw) > 0 {
		b, err := json.Marshal(gw)
		if err != nil {
			return nil, err
		}
		annotations = map[string]string{"VirtualService.v1alpha3.networking.istio.io/spec.gateways": string(b)}
	}
	ts := mapping(
		"apiVersion", smiAPIGroup+"/"+sr.version,
		"kind", "TrafficSplit",
		"metadata", meta(n.apex, n.namespace, nil, annotations),
		"spec", mapping(
			"service", host,
			"backends", seq(
				mapping("service", n.canarySvc, "weight", weight(r.CanaryWeight)),
				mapping("service", n.primarySvc, "weight", weight(r.PrimaryWeight)),
			),
		),
	)
	return []*yaml.Node{ts}, nil
}

func (smiRouter) weights(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	sn := serviceNamesOf(c)
	ts, err := findRendered(objs, smiAPIGroup, "TrafficSplit", sn.apex, c.Metadata.Namespace)
	if err != nil {
		return Routed{}, err
	}
	out := Routed{Object: objectName(ts)}
	s, err := destinationWeights(at(ts, "spec", "backends"), out.Object, sn, "service")
	if err != nil {
		return out, err
	}
	if !s.hasPrimary || !s.hasCanary {
		return out, fmt.Errorf("%s does not split between %s and %s", out.Object, sn.primary, sn.canary)
	}
	out.PrimaryWeight, out.CanaryWeight = s.primary, s.canary
	return out, nil
}
