package templates

import (
	"errors"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

const apisixAPIGroup = "apisix.apache.org"

// apisixMaxPriority is the priority Flagger gives the canary route, so it
// wins over the app's.
const apisixMaxPriority = 10000

// apisixRouter renders what Flagger's APISIX router creates: a copy of the
// app's ApisixRoute (spec.routeRef) named <route>-<apex>-canary holding only
// the http route whose backend is the apex Service, at the highest
// priority, its backend split by weight between the primary and the canary
// Services.
type apisixRouter struct {
	weightsOnly
}

func (apisixRouter) file() string { return "apisix.yaml" }

func (apisixRouter) check(c *api.Canary) []problem {
	return requireRef(c.Spec.Provider, "spec.routeRef", "ApisixRoute", c.Spec.RouteRef)
}

func (apisixRouter) source(c *api.Canary) *SourceRef {
	if c.Spec.RouteRef == nil {
		return nil
	}
	return &SourceRef{Field: "spec.routeRef", Kind: "ApisixRoute", Namespace: c.Metadata.Namespace, Name: c.Spec.RouteRef.Name}
}

func apisixCanaryName(c *api.Canary) string {
	return fmt.Sprintf("%s-%s-canary", c.Spec.RouteRef.Name, serviceNamesOf(c).apex)
}

func (apisixRouter) objects(c *api.Canary, n names, route *yaml.RNode, r Routing, _ Options) ([]*yaml.Node, error) {
	clone := route.Copy()
	if err := clean(clone); err != nil {
		return nil, fmt.Errorf("%s: %w", objectName(route), err)
	}
	if err := clone.PipeE(yaml.SetK8sName(apisixCanaryName(c)), yaml.SetK8sNamespace(n.namespace)); err != nil {
		return nil, err
	}
	var target *yaml.RNode
	for _, h := range elements(at(clone, "spec", "http")) {
		for _, b := range elements(at(h, "backends")) {
			if yaml.GetValue(at(b, "serviceName")) == n.apex && target == nil {
				target = h
			}
		}
	}
	if target == nil {
		return nil, fmt.Errorf("%s: no http route has the backend %s (spec.service.name)", objectName(route), n.apex)
	}
	backends := elements(at(target, "backends"))
	if len(backends) != 1 {
		return nil, fmt.Errorf("%s: http route %s: only one backend is supported, got %d", objectName(route), yaml.GetValue(at(target, "name")), len(backends))
	}
	primary := backends[0]
	canary := mapping(
		"serviceName", n.canarySvc,
		"servicePort", at(primary, "servicePort"),
		"resolveGranularity", at(primary, "resolveGranularity"),
		"weight", r.CanaryWeight,
		"subset", at(primary, "subset"),
	)
	err := errors.Join(
		primary.PipeE(yaml.SetField("serviceName", yaml.NewRNode(str(n.primarySvc)))),
		primary.PipeE(yaml.SetField("weight", yaml.NewRNode(integer(int64(r.PrimaryWeight))))),
		target.PipeE(yaml.SetField("priority", yaml.NewRNode(integer(apisixMaxPriority)))),
		target.PipeE(yaml.SetField("backends", yaml.NewRNode(seq(primary.YNode(), canary)))),
		clone.SetMapField(yaml.NewRNode(seq(target.YNode())), "spec", "http"),
	)
	if err != nil {
		return nil, err
	}
	return []*yaml.Node{clone.YNode()}, nil
}

func (apisixRouter) weights(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	if c.Spec.RouteRef == nil {
		return Routed{}, errors.New("spec.routeRef is not set")
	}
	sn := serviceNamesOf(c)
	route, err := findRendered(objs, apisixAPIGroup, "ApisixRoute", apisixCanaryName(c), c.Metadata.Namespace)
	if err != nil {
		return Routed{}, err
	}
	out := Routed{Object: objectName(route)}
	for _, h := range elements(at(route, "spec", "http")) {
		if out, err := primaryShare(out, at(h, "backends"), sn, "serviceName"); err == nil {
			return out, nil
		}
	}
	return out, fmt.Errorf("%s has no http route with a weight for %s", out.Object, sn.primary)
}
