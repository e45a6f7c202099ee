package templates

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

const traefikAPIGroup = "traefik.io"

// traefikRouter renders what Flagger's Traefik router creates: a
// TraefikService named after the apex Service, weighted round robin between
// the primary and, while it gets traffic, the canary Service. The user's
// IngressRoute routes to the TraefikService.
type traefikRouter struct {
	noSource
	noChecks
	weightsOnly
}

func (traefikRouter) file() string { return "traefik.yaml" }

func (traefikRouter) objects(c *api.Canary, n names, _ *yaml.RNode, r Routing, _ Options) ([]*yaml.Node, error) {
	port := c.Spec.Service.Port
	// Flagger omits a zero weight, which Traefik reads as 1: the weight is
	// written even when it is 0, so that all traffic can go to the canary.
	services := seq(mapping("name", n.primarySvc, "namespace", n.namespace, "port", port, "weight", r.PrimaryWeight))
	if r.CanaryWeight > 0 {
		services.Content = append(services.Content, mapping("name", n.canarySvc, "namespace", n.namespace, "port", port, "weight", r.CanaryWeight))
	}
	labels, annotations := apexMetadata(c.Spec.Service)
	ts := mapping(
		"apiVersion", traefikAPIGroup+"/v1alpha1",
		"kind", "TraefikService",
		"metadata", meta(n.apex, n.namespace, labels, annotations),
		"spec", mapping("weighted", mapping("services", services)),
	)
	return []*yaml.Node{ts}, nil
}

func (traefikRouter) weights(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	sn := serviceNamesOf(c)
	ts, err := findRendered(objs, traefikAPIGroup, "TraefikService", sn.apex, c.Metadata.Namespace)
	if err != nil {
		return Routed{}, err
	}
	return primaryShare(Routed{Object: objectName(ts)}, at(ts, "spec", "weighted", "services"), sn, "name")
}
