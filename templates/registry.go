package templates

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownProvider means spec.provider names no provider Flagger has.
var ErrUnknownProvider = errors.New("unknown provider")

// Provider is a spec.provider resolved by the registry: the router that
// generates its objects and the builtin metrics it is measured with.
type Provider struct {
	// Name is the provider as the canary (or run --provider) gives it.
	Name string
	// Observer names the builtin request-success-rate and
	// request-duration queries of the provider, as Flagger's observers
	// are named: istio, linkerd, osm, appmesh, nginx, contour, gloo,
	// traefik, kuma, skipper, apisix, or http for the app's own metrics
	// (kubernetes and Gateway API).
	Observer string
	r        router
}

// family is a group of provider names the registry knows, as Flagger's
// router factory reads them.
type family struct {
	// names is how the provider is written, for error messages and the
	// README ("smi:v1alpha1|v1alpha2|v1alpha3[:mesh]").
	names string
	// resolve returns the provider of a name of the family.
	resolve func(name string) (Provider, bool)
}

// registry is the only list of providers in gitcanary: the component,
// the render check, validation and the builtin metrics ask it.
var registry = []family{
	{"istio", exactly("istio", "istio", istioRouter{})},
	{"linkerd", exactly("linkerd", "linkerd", smiRouter{version: "v1alpha1", mesh: "linkerd"})},
	{"smi:v1alpha1|v1alpha2|v1alpha3[:mesh]", resolveSMI},
	{"osm", exactly("osm", "osm", smiRouter{version: "v1alpha2", mesh: "osm"})},
	{"gatewayapi:v1", exactly("gatewayapi:v1", "http", gatewayRouter{version: "v1"})},
	{"gatewayapi:v1beta1", exactly("gatewayapi:v1beta1", "http", gatewayRouter{version: "v1beta1"})},
	{"nginx", exactly("nginx", "nginx", nginxRouter{})},
	{"kubernetes", exactly("kubernetes", "http", kubernetesRouter{})},
	{"contour", exactly("contour", "contour", contourRouter{})},
	{"gloo", resolveGloo},
	{"traefik", exactly("traefik", "traefik", traefikRouter{})},
	{"kuma", exactly("kuma", "kuma", kumaRouter{})},
	{"skipper", exactly("skipper", "skipper", skipperRouter{})},
	{"apisix", exactly("apisix", "apisix", apisixRouter{})},
	{"appmesh", exactly("appmesh", "appmesh", appMeshRouter{})},
	{"appmesh:v1beta2", exactly("appmesh:v1beta2", "appmesh", appMeshV1beta2Router{})},
}

// unsupported are Flagger's providers gitcanary does not generate, with
// the reason.
var unsupported = map[string]string{
	"knative": "a Knative Service routes its own revisions; gitcanary's targets are Deployments",
}

func exactly(name, observer string, r router) func(string) (Provider, bool) {
	return func(s string) (Provider, bool) {
		return Provider{Name: s, Observer: observer, r: r}, s == name
	}
}

// resolveSMI reads smi:<version>[:<mesh>], the SMI TrafficSplit of a
// version for a mesh. Flagger measures with the mesh's own metrics when
// the mesh is linkerd or osm, with Istio's otherwise.
func resolveSMI(s string) (Provider, bool) {
	rest, ok := strings.CutPrefix(s, "smi:")
	if !ok {
		return Provider{}, false
	}
	version, mesh, _ := strings.Cut(rest, ":")
	switch version {
	case "v1alpha1", "v1alpha2", "v1alpha3":
	default:
		return Provider{}, false
	}
	observer := "istio"
	if mesh == "linkerd" || mesh == "osm" {
		observer = mesh
	}
	return Provider{Name: s, Observer: observer, r: smiRouter{version: version, mesh: mesh}}, true
}

// resolveGloo reads gloo and, as Flagger does, gloo:<anything>.
func resolveGloo(s string) (Provider, bool) {
	if s != "gloo" && !strings.HasPrefix(s, "gloo:") {
		return Provider{}, false
	}
	return Provider{Name: s, Observer: "gloo", r: glooRouter{}}, true
}

// Lookup resolves a provider name. An unknown name is an error wrapping
// ErrUnknownProvider that lists the known ones; a provider of Flagger's that
// gitcanary does not generate wraps ErrNotSupported and says why.
func Lookup(name string) (Provider, error) {
	for _, f := range registry {
		if p, ok := f.resolve(name); ok {
			return p, nil
		}
	}
	if why, ok := unsupported[name]; ok {
		return Provider{}, fmt.Errorf("%w: %s (%s)", ErrNotSupported, name, why)
	}
	hint := ""
	switch name {
	case "gatewayapi":
		hint = ": give the Gateway API version, gatewayapi:v1 or gatewayapi:v1beta1"
	case "smi":
		hint = ": give the SMI version, e.g. smi:v1alpha2 or smi:v1alpha2:linkerd"
	}
	return Provider{}, fmt.Errorf("%w %q%s (known: %s)", ErrUnknownProvider, name, hint, strings.Join(Providers(), ", "))
}

// Providers lists the provider names the registry generates, as written in
// the README.
func Providers() []string {
	out := make([]string, len(registry))
	for i, f := range registry {
		out[i] = f.names
	}
	return out
}
