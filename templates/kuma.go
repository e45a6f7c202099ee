package templates

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

const (
	kumaAPIGroup   = "kuma.io"
	kumaServiceTag = "kuma.io/service"
)

// kumaRouter renders what Flagger's Kuma router creates: a TrafficRoute
// (cluster-scoped, in the mesh of the canary's kuma.io/mesh annotation,
// default "default") named after the apex Service, that splits the traffic
// of every source to <apex>_<namespace>_svc_<port> between the primary's
// and the canary's Kuma services by weight.
type kumaRouter struct {
	noSource
	noChecks
	weightsOnly
}

func (kumaRouter) file() string { return "kuma.yaml" }

// kumaService is the Kuma service tag of a Kubernetes Service.
func kumaService(svc, ns string, port int32) string {
	return fmt.Sprintf("%s_%s_svc_%d", svc, ns, port)
}

func (kumaRouter) objects(c *api.Canary, n names, _ *yaml.RNode, r Routing, _ Options) ([]*yaml.Node, error) {
	port := c.Spec.Service.Port
	mesh := c.Metadata.Annotations["kuma.io/mesh"]
	if mesh == "" {
		mesh = "default"
	}
	// Without apex annotations, Flagger declares the port's protocol.
	annotations := map[string]string{fmt.Sprintf("%d.service.kuma.io", port): "http"}
	if a := c.Spec.Service.Apex; a != nil && a.Annotations != nil {
		annotations = a.Annotations
	}
	split := func(svc string, weight int) *yaml.Node {
		return mapping("weight", weight, "destination", map[string]string{kumaServiceTag: kumaService(svc, n.namespace, port)})
	}
	tr := mapping(
		"apiVersion", kumaAPIGroup+"/v1alpha1",
		"kind", "TrafficRoute",
		"mesh", mesh,
		"metadata", mapping("name", n.apex, "annotations", annotations),
		"spec", mapping(
			"sources", seq(mapping("match", map[string]string{kumaServiceTag: "*"})),
			"destinations", seq(mapping("match", map[string]string{kumaServiceTag: kumaService(n.apex, n.namespace, port)})),
			"conf", mapping("split", seq(split(n.primarySvc, r.PrimaryWeight), split(n.canarySvc, r.CanaryWeight))),
		),
	)
	return []*yaml.Node{tr}, nil
}

// weights reads the primary's share of the split; the TrafficRoute is
// cluster-scoped, so any namespace kustomize gave it is ignored.
func (kumaRouter) weights(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	sn := serviceNamesOf(c)
	var tr *yaml.RNode
	for _, o := range objs {
		if o.GetKind() == "TrafficRoute" && o.GetName() == sn.apex && apiGroup(o.GetApiVersion()) == kumaAPIGroup {
			tr = o
		}
	}
	if tr == nil {
		return Routed{}, fmt.Errorf("rendered output lacks TrafficRoute %s", sn.apex)
	}
	out := Routed{Object: "TrafficRoute " + sn.apex}
	ns, port := c.Metadata.Namespace, c.Spec.Service.Port
	tags := svcNames{primary: kumaService(sn.primary, ns, port), canary: kumaService(sn.canary, ns, port)}
	return primaryShare(out, at(tr, "spec", "conf", "split"), tags, "destination", kumaServiceTag)
}
