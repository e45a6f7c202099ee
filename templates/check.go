package templates

import (
	"fmt"

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
	for _, pr := range append(checkTarget(c), p.r.check(c)...) {
		out = append(out, fail(pr.field, pr.msg))
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
