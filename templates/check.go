package templates

import (
	"fmt"
	"strings"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Check validates what the canary's target and router need: the target
// and autoscaler kinds have an implementation (and a DaemonSet is released
// blue/green), spec.provider names a
// provider the registry generates, and the fields that provider requires
// are set (spec.ingressRef for nginx and skipper, spec.routeRef for apisix,
// spec.service.gatewayRefs for the Gateway API, spec.service.meshName for
// App Mesh, no stepWeight for kubernetes...). It returns one FieldError per
// problem, each naming the file, the document and the field; none when the
// canary is fine. validate and run both call it.
func Check(c *api.Canary) []*api.FieldError {
	fail := func(field, msg string) *api.FieldError {
		return &api.FieldError{Source: c.Source, Object: "Canary " + c.ID(), Field: field, Msg: msg}
	}
	p, err := Lookup(c.Spec.Provider)
	if err != nil {
		return []*api.FieldError{fail("spec.provider", err.Error())}
	}
	var out []*api.FieldError
	for _, pr := range append(append(checkTarget(c), p.r.check(c)...), strategyProblems(c, p)...) {
		out = append(out, fail(pr.field, pr.msg))
	}
	return out
}

// strategyProblems are the strategy fields of the canary that its
// provider's router cannot generate (A/B on SMI, mirroring on NGINX...),
// each naming the providers that can.
func strategyProblems(c *api.Canary, p Provider) []problem {
	a := c.Spec.Analysis
	if a == nil {
		return nil
	}
	f := p.r.features()
	var out []problem
	refuse := func(field, what string, can func(features) bool) {
		out = append(out, problem{field, fmt.Sprintf("provider %s cannot %s (providers that can: %s)", p.Name, what, strings.Join(providersWith(can), ", "))})
	}
	ab := a.Strategy() == api.StrategyAB
	switch {
	case len(a.Match) > 0 && !f.match:
		refuse("spec.analysis.match", "route requests by a match rule", func(f features) bool { return f.match })
	case len(a.Match) > 0 && !ab && !f.matchWeights:
		refuse("spec.analysis.match", "shift weights on the matching requests only (match without iterations: set iterations for A/B testing)", func(f features) bool { return f.matchWeights })
	case ab && a.StepWeightPromotion > 0 && !f.matchWeights:
		refuse("spec.analysis.stepWeightPromotion", "split the matching requests of an A/B test by weight", func(f features) bool { return f.matchWeights })
	}
	switch {
	case !a.Mirror:
	case a.Iterations > 0 && !f.mirrorBlueGreen:
		refuse("spec.analysis.mirror", "mirror traffic in blue/green", func(f features) bool { return f.mirrorBlueGreen })
	case a.Iterations == 0 && !f.mirror:
		refuse("spec.analysis.mirror", "mirror traffic in a canary release", func(f features) bool { return f.mirror })
	}
	if a.SessionAffinity != nil && !f.cookie {
		refuse("spec.analysis.sessionAffinity", "route by a session cookie", func(f features) bool { return f.cookie })
	}
	return out
}

// providersWith lists the providers whose router has a feature.
func providersWith(has func(features) bool) []string {
	var out []string
	for _, fam := range registry {
		if p, ok := fam.resolve(fam.names); ok && has(p.r.features()) {
			out = append(out, p.Name)
		}
	}
	return out
}

// requireRef checks a reference field a router reads an object of the app
// through: it must be set, name an object and, when it says its kind, the
// kind the router reads.
func requireRef(provider, field, kind string, ref *api.CrossRef) []problem {
	switch {
	case ref == nil:
		return []problem{{field, fmt.Sprintf("is required with provider %s: the %s the router copies", provider, kind)}}
	case ref.Name == "":
		return []problem{{field + ".name", fmt.Sprintf("is required with provider %s", provider)}}
	case ref.Kind != "" && ref.Kind != kind:
		return []problem{{field + ".kind", fmt.Sprintf("must be %s with provider %s, got %q", kind, provider, ref.Kind)}}
	}
	return nil
}
