package templates

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

const (
	skipperPredicate      = "zalando.org/skipper-predicate"
	skipperBackendWeights = "zalando.org/backend-weights"
	skipperRouteWeight    = "Weight(100)"
	skipperRouteDisable   = "False()"
)

// skipperRouter renders what Flagger's Skipper router creates: a copy of
// the app's Ingress (spec.ingressRef) named <ingress>-canary in which each
// path to the apex Service goes to the primary Service, plus the same path
// to the canary Service; the zalando.org/backend-weights annotation splits
// between them, and the skipper-predicate Weight(100) makes these routes
// win over the app's Ingress — or False() disables them while the canary
// gets no traffic.
type skipperRouter struct {
	weightsOnly
}

func (skipperRouter) file() string { return "skipper.yaml" }

func (skipperRouter) check(c *api.Canary) []problem {
	return requireRef(c.Spec.Provider, "spec.ingressRef", "Ingress", c.Spec.IngressRef)
}

func (skipperRouter) source(c *api.Canary) *SourceRef { return ingressSource(c) }

func (skipperRouter) objects(c *api.Canary, n names, ing *yaml.RNode, r Routing, _ Options) ([]*yaml.Node, error) {
	clone, err := cloneIngress(ing, n, ing.GetName()+"-canary", func(paths *yaml.RNode, i int, svc *yaml.RNode) {
		setString(svc, n.primarySvc)
		canary := yaml.NewRNode(paths.YNode().Content[i]).Copy()
		if name := at(canary, "backend", "service", "name"); name != nil {
			setString(name, n.canarySvc)
		} else if name := at(canary, "backend", "serviceName"); name != nil {
			setString(name, n.canarySvc)
		}
		paths.YNode().Content = append(paths.YNode().Content, canary.YNode())
	})
	if err != nil {
		return nil, err
	}
	weights, err := json.Marshal(map[string]int{n.primarySvc: r.PrimaryWeight, n.canarySvc: r.CanaryWeight})
	if err != nil {
		return nil, err
	}
	annotations := clone.GetAnnotations()
	annotations[skipperBackendWeights] = string(weights)
	predicate := insertPredicate(annotations[skipperPredicate], skipperRouteWeight)
	if r.CanaryWeight == 0 {
		predicate = insertPredicate(predicate, skipperRouteDisable)
	}
	annotations[skipperPredicate] = predicate
	if err := clone.SetAnnotations(annotations); err != nil {
		return nil, err
	}
	return []*yaml.Node{clone.YNode()}, nil
}

// insertPredicate puts a route predicate first, dropping the Weight(100)
// and False() predicates that would conflict with it.
func insertPredicate(raw, insert string) string {
	predicates := []string{insert}
	for _, p := range strings.Split(raw, "&&") {
		p = strings.TrimSpace(p)
		if p != "" && p != skipperRouteWeight && p != skipperRouteDisable {
			predicates = append(predicates, p)
		}
	}
	return strings.Join(predicates, " && ")
}

// weights reads the backend-weights annotation of the canary Ingress.
func (skipperRouter) weights(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	if c.Spec.IngressRef == nil {
		return Routed{}, errors.New("spec.ingressRef is not set")
	}
	sn := serviceNamesOf(c)
	ing, err := findRendered(objs, ingressAPIGroup, "Ingress", c.Spec.IngressRef.Name+"-canary", c.Metadata.Namespace)
	if err != nil {
		return Routed{}, err
	}
	out := Routed{Object: objectName(ing)}
	var weights map[string]int
	if err := json.Unmarshal([]byte(ing.GetAnnotations()[skipperBackendWeights]), &weights); err != nil {
		return out, fmt.Errorf("%s: annotation %s: %w", out.Object, skipperBackendWeights, err)
	}
	p, okP := weights[sn.primary]
	cw, okC := weights[sn.canary]
	if !okP || !okC {
		return out, fmt.Errorf("%s: annotation %s has no weights for %s and %s", out.Object, skipperBackendWeights, sn.primary, sn.canary)
	}
	out.PrimaryWeight, out.CanaryWeight = p, cw
	return out, nil
}
