package templates

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// A router generates the traffic-routing objects of one provider, as
// Flagger's router of that provider creates them, into one file of the
// component. They are the only objects that depend on the routing, so a
// weight step changes that file and nothing else. A router also reads the
// routing back from rendered objects (the render check).
type router interface {
	// file is the component file the objects go to; "" for a provider
	// without router objects (kubernetes).
	file() string
	// objects returns the router objects for the routing. src is the
	// app's object named by source, or nil.
	objects(c *api.Canary, n names, src *yaml.RNode, r Routing, o Options) ([]*yaml.Node, error)
	// weights reads the routing from the app's rendered objects.
	weights(objs []*yaml.RNode, c *api.Canary) (Routed, error)
	// check returns the problems of the canary's fields this router
	// needs, for validation.
	check(c *api.Canary) []problem
	// source names the object of the app the router copies (an Ingress,
	// an ApisixRoute, a Gloo Upstream), or nil.
	source(c *api.Canary) *SourceRef
	// features says what the router generates beyond the weights.
	features() features
}

// features are what a router generates beyond the weights, as Flagger's
// router of the provider does (and its docs say it supports).
type features struct {
	// match: the A/B rule (analysis.match): the matching requests go to
	// the canary, the others to the primary.
	match bool
	// matchWeights: the matching requests are split by weight too, so a
	// canary release (analysis.match without iterations) and
	// stepWeightPromotion after an A/B test shift them step by step.
	matchWeights bool
	// mirror mirrors in a canary release's first step, mirrorBlueGreen
	// during blue/green's iterations.
	mirror, mirrorBlueGreen bool
	// cookie: session affinity (analysis.sessionAffinity).
	cookie bool
}

// weightsOnly is the default of routers that generate weights and nothing
// else.
type weightsOnly struct{}

func (weightsOnly) features() features { return features{} }

// HasRouter reports whether the provider routes traffic between the
// primary and the canary: every provider but kubernetes, whose apex
// Service always selects the primary (blue/green only).
func (p Provider) HasRouter() bool { return p.r.file() != "" }

// SourceRef is an object of the app a router derives its objects from,
// named by a field of the canary.
type SourceRef struct {
	// Field is the canary field that names the object ("spec.ingressRef").
	Field string
	// Kind, Namespace and Name identify the object.
	Kind, Namespace, Name string
	// Optional sources may be missing from the app.
	Optional bool
}

// problem is a validation problem of one field.
type problem struct {
	field, msg string
}

// noSource and noChecks are the defaults of routers that read no object of
// the app and need no field beyond the service.
type noSource struct{}

func (noSource) source(*api.Canary) *SourceRef { return nil }

type noChecks struct{}

func (noChecks) check(*api.Canary) []problem { return nil }

// RouterFile returns the name of the component file that holds the router
// objects of a provider; "" for a provider that has none (kubernetes) or
// that is unknown.
func RouterFile(provider string) string {
	if p, err := Lookup(provider); err == nil {
		return p.r.file()
	}
	return ""
}

// Source returns the object of the app that the canary's router derives
// its objects from (spec.ingressRef for nginx and skipper, spec.routeRef
// for apisix, spec.upstreamRef for gloo), or nil when it reads none.
// Input.Source must hold that object.
func Source(c *api.Canary) *SourceRef {
	p, err := Lookup(c.Spec.Provider)
	if err != nil {
		return nil
	}
	return p.r.source(c)
}

// Routed is a routing read back from rendered objects.
type Routed struct {
	Routing
	// Object names the object the weights were read from, as errors do
	// ("VirtualService test/podinfo").
	Object string
	// Conditional is set when the weights apply only to the requests that
	// match the A/B rule; the others go to the primary.
	Conditional bool
	// SetCookie is the "name=value" cookie the canary's responses set
	// (session affinity), "" when none.
	SetCookie string
}

// ReadRouting reads the routing of a canary from its app's rendered
// objects: the weights (and mirroring) its router objects carry.
func ReadRouting(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	p, err := Lookup(c.Spec.Provider)
	if err != nil {
		return Routed{}, fmt.Errorf("canary %s: %w", c.ID(), err)
	}
	return p.r.weights(objs, c)
}

// CheckRouting reads the routing of a canary from its app's rendered
// objects and compares it with the routing it should have.
func CheckRouting(objs []*yaml.RNode, c *api.Canary, want Routing) error {
	got, err := ReadRouting(objs, c)
	if err != nil {
		return err
	}
	if got.PrimaryWeight != want.PrimaryWeight || got.CanaryWeight != want.CanaryWeight {
		return fmt.Errorf("rendered %s routes %d/%d, want %d/%d", got.Object, got.PrimaryWeight, got.CanaryWeight, want.PrimaryWeight, want.CanaryWeight)
	}
	if got.Mirror != want.Mirror {
		return fmt.Errorf("rendered %s mirrors %v, want %v", got.Object, got.Mirror, want.Mirror)
	}
	switch {
	case len(want.Match) > 0 && want.CanaryWeight > 0 && !got.Conditional:
		return fmt.Errorf("rendered %s routes every request %d/%d, want only those matching spec.analysis.match", got.Object, got.PrimaryWeight, got.CanaryWeight)
	case len(want.Match) == 0 && got.Conditional:
		return fmt.Errorf("rendered %s routes only some requests %d/%d, want every request", got.Object, got.PrimaryWeight, got.CanaryWeight)
	}
	if want.Cookie != nil && got.SetCookie != want.Cookie.Canary {
		return fmt.Errorf("rendered %s sets the cookie %q on the canary's responses, want %q", got.Object, got.SetCookie, want.Cookie.Canary)
	}
	return nil
}
