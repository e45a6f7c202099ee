package templates

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/fixtures"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/api/apitest"
)

// providerApps are, per provider, what an app needs besides the Deployment
// and its ConfigMap: the spec fields of the Canary, and the objects its
// router copies.
var providerApps = map[string]struct {
	spec  string // spec fields after the analysis, indented two spaces; service: adds to the service
	files map[string]string
}{
	"istio":                {},
	"linkerd":              {},
	"smi:v1alpha2:linkerd": {},
	"smi:v1alpha3:istio":   {},
	"osm":                  {},
	"gatewayapi:v1":        {spec: "  service:\n    port: 9898\n    gatewayRefs:\n    - name: gateway\n      namespace: istio-ingress\n"},
	"gatewayapi:v1beta1":   {spec: "  service:\n    port: 9898\n    gatewayRefs:\n    - {group: core, kind: Service, name: podinfo, port: 9898}\n"},
	"nginx":                {spec: "  ingressRef:\n    name: podinfo\n", files: map[string]string{"ingress.yaml": sampleFile("nginx", "ingress.yaml")}},
	"kubernetes":           {},
	"contour":              {},
	"gloo":                 {},
	"traefik":              {},
	"kuma":                 {},
	"skipper":              {spec: "  ingressRef:\n    name: podinfo\n", files: map[string]string{"ingress.yaml": sampleFile("skipper", "ingress.yaml")}},
	"apisix":               {spec: "  routeRef:\n    name: podinfo\n", files: map[string]string{"route.yaml": sampleFile("apisix", "apisix-route.yaml")}},
	"appmesh":              {spec: "  service:\n    port: 9898\n    meshName: global\n"},
	"appmesh:v1beta2":      {},
}

// sampleFile is a file of the sample app of a provider
// (fixtures/config-repo-providers).
func sampleFile(provider, name string) string {
	files, err := fixtures.ConfigRepoFiles(provider)
	if err != nil {
		panic(err)
	}
	return string(files["apps/podinfo/"+name])
}

// providerCanary is the test Canary for a provider.
func providerCanary(t *testing.T, provider string) *api.Canary {
	t.Helper()
	c := testCanary(t, "    interval: 1m\n    stepWeight: 10\n  provider: "+provider+"\n"+providerApps[provider].spec)
	if provider == "kubernetes" {
		c.Spec.Analysis.StepWeight = 0 // blue/green
	}
	return c
}

// testCanary is apitest's Canary; a "  service:" block in rest adds its
// fields to the test Canary's service.
func testCanary(t *testing.T, rest string) *api.Canary {
	t.Helper()
	if before, svc, ok := strings.Cut(rest, "  service:\n    port: 9898\n"); ok {
		end := len(svc)
		for i, line := range strings.SplitAfter(svc, "\n") {
			if !strings.HasPrefix(line, "    ") {
				end = len(strings.Join(strings.SplitAfter(svc, "\n")[:i], ""))
				break
			}
		}
		cs, err := api.ParseCanaries(apitest.Path, []byte(strings.Replace(apitest.Head, "    port: 9898\n", "    port: 9898\n"+svc[:end], 1)+before+svc[end:]), api.DefaultProvider)
		if err != nil || len(cs) != 1 {
			t.Fatalf("test canary: %v", err)
		}
		return cs[0]
	}
	return apitest.Canary(t, rest)
}

// TestEveryProviderRendersItsWeights is the proof, for every router of the
// registry, that the component works as Flux would apply it: the app with
// the component renders with kustomize, the weights read back from the
// rendered objects are the ones generated and add up to 100, a weight step
// changes the router file only, and no object carries Flagger's
// kustomize.toolkit.fluxcd.io/reconcile: disabled (here Flux applies them).
func TestEveryProviderRendersItsWeights(t *testing.T) {
	for provider := range providerApps {
		t.Run(provider, func(t *testing.T) {
			t.Parallel()
			fs, kust, c, in := providerAppFS(t, provider)
			steps := []Routing{{PrimaryWeight: 100}, {PrimaryWeight: 90, CanaryWeight: 10}, {PrimaryWeight: 45, CanaryWeight: 55}, {CanaryWeight: 100}}
			if provider == "kubernetes" {
				steps = steps[:1]
			}
			var last map[string][]byte
			for _, r := range steps {
				files := componentFiles(t, in, r, Options{})
				after := renderWith(t, fs, kust, c, files)

				got, err := ReadRouting(after, c)
				if err != nil {
					t.Fatalf("%d/%d: %v", r.PrimaryWeight, r.CanaryWeight, err)
				}
				if got.Routing.PrimaryWeight != r.PrimaryWeight || got.CanaryWeight != r.CanaryWeight || got.PrimaryWeight+got.CanaryWeight != 100 {
					t.Errorf("%s routes %d/%d, want %d/%d", got.Object, got.PrimaryWeight, got.CanaryWeight, r.PrimaryWeight, r.CanaryWeight)
				}
				if err := CheckRouting(after, c, r); err != nil {
					t.Error(err)
				}
				for _, o := range after {
					for k := range o.GetAnnotations() {
						if strings.HasPrefix(k, "kustomize.toolkit.fluxcd.io/") || strings.HasPrefix(k, "helm.toolkit.fluxcd.io/") {
							t.Errorf("%s carries %s: Flux must apply the generated objects", objectName(o), k)
						}
					}
				}
				if last != nil {
					for name := range files {
						if changed := !bytes.Equal(last[name], files[name]); changed != (name == RouterFile(provider)) {
							t.Errorf("a weight step changed %s: %v", name, changed)
						}
					}
				}
				last = files
			}
		})
	}
}

// providerAppFS writes the test app of a provider to an in-memory file
// system and returns it, its kustomization, the canary and the component's
// input as the app renders.
func providerAppFS(t *testing.T, provider string) (filesys.FileSystem, string, *api.Canary, Input) {
	t.Helper()
	app := providerApps[provider]
	kust := "namespace: test\nresources:\n- deployment.yaml\n- configmap.yaml\n"
	fs := filesys.MakeFsInMemory()
	write(t, fs, "/app/deployment.yaml", renderDeployment)
	write(t, fs, "/app/configmap.yaml", renderConfigMap)
	for _, name := range slices.Sorted(maps.Keys(app.files)) {
		write(t, fs, path.Join("/app", name), app.files[name])
		kust += "- " + name + "\n"
	}
	write(t, fs, "/app/kustomization.yaml", kust)
	before := render(t, fs)
	c := providerCanary(t, provider)
	in := Input{Canary: c, Target: find(t, before, "Deployment", "podinfo")}
	if src := Source(c); src != nil {
		in.Source = find(t, before, src.Kind, src.Name)
	}
	return fs, kust, c, in
}

// TestStrategiesReadBack: for every provider that generates them, the
// render of an A/B test, of session affinity and of mirroring reads back
// as what was generated, and the render check refuses a render that
// routes otherwise: an A/B rule dropped (every user to the canary), a
// rule where none is wanted, another cookie, no mirroring.
func TestStrategiesReadBack(t *testing.T) {
	match := []any{map[string]any{"headers": map[string]any{"x-canary": map[string]any{"exact": "insider"}}}}
	cookie := &Cookie{Canary: "flagger-cookie=abcdefghij", Attributes: "Max-Age=60"}
	for provider := range providerApps {
		p, _ := Lookup(provider)
		f := p.r.features()
		t.Run(provider, func(t *testing.T) {
			t.Parallel()
			fs, kust, c, in := providerAppFS(t, provider)
			check := func(generated, want Routing) error {
				t.Helper()
				return CheckRouting(renderWith(t, fs, kust, c, componentFiles(t, in, generated, Options{})), c, want)
			}
			if f.match {
				ab := Routing{CanaryWeight: 100, Match: match}
				if err := check(ab, ab); err != nil {
					t.Errorf("A/B: %v", err)
				}
				if err := check(Routing{CanaryWeight: 100}, ab); err == nil || !strings.Contains(err.Error(), "routes every request 0/100, want only those matching spec.analysis.match") {
					t.Errorf("A/B rule dropped: %v", err)
				}
				if err := check(ab, Routing{CanaryWeight: 100}); err == nil || !strings.Contains(err.Error(), "routes only some requests") {
					t.Errorf("A/B rule not wanted: %v", err)
				}
				idle := Routing{PrimaryWeight: 100, Match: match}
				if err := check(idle, idle); err != nil {
					t.Errorf("A/B idle: %v", err)
				}
			}
			if f.matchWeights {
				split := Routing{PrimaryWeight: 60, CanaryWeight: 40, Match: match}
				if err := check(split, split); err != nil {
					t.Errorf("weights on the matching requests: %v", err)
				}
			}
			if f.cookie {
				sticky := Routing{PrimaryWeight: 80, CanaryWeight: 20, Cookie: cookie}
				if err := check(sticky, sticky); err != nil {
					t.Errorf("session affinity: %v", err)
				}
				other := sticky
				other.Cookie = &Cookie{Canary: "flagger-cookie=zzzzzzzzzz", Attributes: "Max-Age=60"}
				if err := check(sticky, other); err == nil || !strings.Contains(err.Error(), `sets the cookie "flagger-cookie=abcdefghij" on the canary's responses, want "flagger-cookie=zzzzzzzzzz"`) {
					t.Errorf("other cookie: %v", err)
				}
				expiry := Routing{PrimaryWeight: 100, Cookie: &Cookie{Previous: cookie.Canary}}
				if err := check(expiry, expiry); err != nil {
					t.Errorf("expiry: %v", err)
				}
			}
			if f.mirror || f.mirrorBlueGreen {
				mirrored := Routing{PrimaryWeight: 100, Mirror: true, MirrorWeight: 50}
				if err := check(mirrored, mirrored); err != nil {
					t.Errorf("mirroring: %v", err)
				}
				if err := check(Routing{PrimaryWeight: 100}, mirrored); err == nil {
					t.Errorf("a render that does not mirror passed the check of a mirrored routing")
				}
			}
		})
	}
}

// Every provider of the registry has a render test, and every render test a
// provider.
func TestEveryProviderIsTested(t *testing.T) {
	for _, f := range registry {
		name := strings.Split(f.names, "|")[0]
		if strings.HasPrefix(name, "smi:") {
			name = "smi:v1alpha2:linkerd"
		}
		if _, ok := providerApps[name]; !ok {
			t.Errorf("provider %s has no app in providerApps", f.names)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name, file, observer string
		err                  error
	}{
		{"istio", "istio.yaml", "istio", nil},
		{"linkerd", "smi.yaml", "linkerd", nil},
		{"smi:v1alpha1", "smi.yaml", "istio", nil},
		{"smi:v1alpha2:linkerd", "smi.yaml", "linkerd", nil},
		{"smi:v1alpha3:osm", "smi.yaml", "osm", nil},
		{"osm", "smi.yaml", "osm", nil},
		{"gatewayapi:v1", "gatewayapi.yaml", "http", nil},
		{"gatewayapi:v1beta1", "gatewayapi.yaml", "http", nil},
		{"kubernetes", "", "http", nil},
		{"gloo:gloo-system", "gloo.yaml", "gloo", nil},
		{"appmesh", "appmesh.yaml", "appmesh", nil},
		{"appmesh:v1beta2", "appmesh.yaml", "appmesh", nil},
		{"knative", "", "", ErrNotSupported},
		{"gatewayapi", "", "", ErrUnknownProvider},
		{"smi:v2", "", "", ErrUnknownProvider},
		{"Istio", "", "", ErrUnknownProvider},
		{"", "", "", ErrUnknownProvider},
	}
	for _, tt := range tests {
		p, err := Lookup(tt.name)
		if !errors.Is(err, tt.err) {
			t.Errorf("%q: error %v, want %v", tt.name, err, tt.err)
			continue
		}
		if err == nil && (p.r.file() != tt.file || p.Observer != tt.observer) {
			t.Errorf("%q: file %q observer %q, want %q %q", tt.name, p.r.file(), p.Observer, tt.file, tt.observer)
		}
	}
	if _, err := Lookup("gatewayapi"); err == nil || !strings.Contains(err.Error(), "give the Gateway API version, gatewayapi:v1 or gatewayapi:v1beta1") {
		t.Errorf("gatewayapi without a version: %v", err)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		rest string // after the analysis
		want []string
	}{
		{"istio", "  provider: istio\n", nil},
		{"unknown", "  provider: nope\n", []string{`spec.provider: unknown provider "nope" (known: ` + strings.Join(Providers(), ", ") + ")"}},
		{"knative", "  provider: knative\n", []string{"spec.provider: not supported yet: knative (a Knative Service routes its own revisions; gitcanary's targets are Deployments)"}},
		{"gateway api without gateways", "  provider: gatewayapi:v1\n", []string{"spec.service.gatewayRefs: is required with provider gatewayapi:v1: the Gateways (or, for a GAMMA mesh, the Service) the HTTPRoute attaches to"}},
		{"gateway ref without a name", "  provider: gatewayapi:v1beta1\n  service:\n    port: 9898\n    gatewayRefs:\n    - namespace: x\n", []string{"spec.service.gatewayRefs[0].name: is required"}},
		{"gateway api match", "  provider: gatewayapi:v1\n  service:\n    port: 9898\n    gatewayRefs: [{name: gw}]\n    match:\n    - uri: {suffix: .png}\n", []string{"spec.service.match: [0].uri: the Gateway API matches a path by regex, exact or prefix"}},
		{"nginx without ingressRef", "  provider: nginx\n", []string{"spec.ingressRef: is required with provider nginx: the Ingress the router copies"}},
		{"nginx ingressRef of another kind", "  provider: nginx\n  ingressRef: {kind: HTTPProxy, name: web}\n", []string{`spec.ingressRef.kind: must be Ingress with provider nginx, got "HTTPProxy"`}},
		{"skipper without a name", "  provider: skipper\n  ingressRef: {kind: Ingress}\n", []string{"spec.ingressRef.name: is required with provider skipper"}},
		{"apisix without routeRef", "  provider: apisix\n", []string{"spec.routeRef: is required with provider apisix: the ApisixRoute the router copies"}},
		{"gloo without upstreamRef", "  provider: gloo\n", nil},
		{"gloo upstreamRef without a name", "  provider: gloo\n  upstreamRef: {namespace: gloo-system}\n", []string{"spec.upstreamRef.name: is required with provider gloo"}},
		{"appmesh without a mesh", "  provider: appmesh\n", []string{"spec.service.meshName: is required with provider appmesh: the App Mesh mesh the virtual nodes and services join (or use provider appmesh:v1beta2, which takes the mesh of the namespace)"}},
		{"appmesh v1beta2", "  provider: appmesh:v1beta2\n", nil},
		{"kubernetes with steps", "  provider: kubernetes\n", []string{
			"spec.analysis.stepWeight: provider kubernetes has no router to shift traffic with: it does blue/green only (set analysis.iterations instead)",
			"spec.analysis.iterations: is required with provider kubernetes: it has no router to shift traffic with, it does blue/green only"}},
		{"istio delegation with hosts", "  provider: istio\n  service:\n    port: 9898\n    delegation: true\n    hosts: [app.example.com]\n", []string{"spec.service.delegation: a delegate VirtualService has no hosts and no gateways: remove spec.service.hosts and spec.service.gateways"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testCanary(t, "    interval: 1m\n    stepWeight: 10\n"+tt.rest)
			var got []string
			for _, e := range Check(c) {
				if e.Source.Path != apitest.Path || e.Object != "Canary test/podinfo" {
					t.Errorf("%v does not name the file and the canary", e)
				}
				got = append(got, e.Field+": "+e.Msg)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestCheckStrategies: what a provider's router cannot generate is a
// validation error naming the field, the provider and those that can.
func TestCheckStrategies(t *testing.T) {
	const (
		ab        = "    iterations: 5\n    match:\n      - headers:\n          x-canary:\n            exact: insider\n"
		abRegex   = "    iterations: 5\n    match:\n      - headers:\n          x-canary:\n            regex: \".*insider.*\"\n"
		canaryAB  = "    stepWeight: 10\n    match:\n      - headers:\n          x-canary:\n            exact: insider\n"
		blueGreen = "    iterations: 5\n"
		bgMirror  = "    iterations: 5\n    mirror: true\n"
		mirror    = "    stepWeight: 10\n    mirror: true\n"
		sticky    = "    stepWeight: 10\n    sessionAffinity:\n      cookieName: c\n"
		gateway   = "  service:\n    port: 9898\n    gatewayRefs: [{name: gw}]\n"
		ingress   = "  ingressRef: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: podinfo}\n"
	)
	tests := []struct {
		name, analysis, rest string
		want                 []string
	}{
		{"A/B on istio", ab, "  provider: istio\n", nil},
		{"A/B on the Gateway API", abRegex, "  provider: gatewayapi:v1\n" + gateway, nil},
		{"A/B on nginx", abRegex, "  provider: nginx\n" + ingress, nil},
		{"A/B on contour", ab, "  provider: contour\n", nil},
		{"A/B on SMI", ab, "  provider: linkerd\n", []string{
			"spec.analysis.match: provider linkerd cannot route requests by a match rule (providers that can: istio, gatewayapi:v1, gatewayapi:v1beta1, nginx, contour, gloo, appmesh, appmesh:v1beta2)"}},
		{"A/B on kubernetes", ab, "  provider: kubernetes\n", []string{
			"spec.analysis.match: provider kubernetes cannot route requests by a match rule (providers that can: istio, gatewayapi:v1, gatewayapi:v1beta1, nginx, contour, gloo, appmesh, appmesh:v1beta2)"}},
		{"contour matches no regex", abRegex, "  provider: contour\n", []string{
			"spec.analysis.match[0].headers.x-canary: provider contour matches a header by exact, prefix or suffix"}},
		{"nginx matches headers only", "    iterations: 5\n    match:\n      - uri:\n          prefix: /api\n", "  provider: nginx\n" + ingress, []string{
			"spec.analysis.match[0].uri: provider nginx matches A/B tests by headers only"}},
		{"nginx matches one header", "    iterations: 5\n    match:\n      - headers:\n          x-a:\n            exact: \"1\"\n          x-b:\n            exact: \"2\"\n", "  provider: nginx\n" + ingress, []string{
			"spec.analysis.match: provider nginx matches one header (canary-by-header), got x-a and x-b"}},
		{"nginx cannot shift weights on matching requests", canaryAB, "  provider: nginx\n" + ingress, []string{
			"spec.analysis.match: provider nginx cannot shift weights on the matching requests only (match without iterations: set iterations for A/B testing) (providers that can: istio, gatewayapi:v1, gatewayapi:v1beta1, contour, gloo, appmesh, appmesh:v1beta2)"}},
		{"nginx A/B promotion steps", ab + "    stepWeightPromotion: 20\n", "  provider: nginx\n" + ingress, []string{
			"spec.analysis.stepWeightPromotion: provider nginx cannot split the matching requests of an A/B test by weight (providers that can: istio, gatewayapi:v1, gatewayapi:v1beta1, contour, gloo, appmesh, appmesh:v1beta2)"}},
		{"canary on matching requests, istio", canaryAB, "  provider: istio\n", nil},
		{"blue/green on kubernetes", blueGreen, "  provider: kubernetes\n", nil},
		{"blue/green mirroring on istio", bgMirror, "  provider: istio\n", nil},
		{"blue/green mirroring on the Gateway API", bgMirror, "  provider: gatewayapi:v1beta1\n" + gateway, nil},
		{"blue/green mirroring on nginx", bgMirror, "  provider: nginx\n" + ingress, []string{
			"spec.analysis.mirror: provider nginx cannot mirror traffic in blue/green (providers that can: istio, gatewayapi:v1, gatewayapi:v1beta1)"}},
		{"blue/green mirroring on kubernetes", bgMirror, "  provider: kubernetes\n", []string{
			"spec.analysis.mirror: provider kubernetes cannot mirror traffic in blue/green (providers that can: istio, gatewayapi:v1, gatewayapi:v1beta1)"}},
		{"canary mirroring on istio", mirror, "  provider: istio\n", nil},
		{"canary mirroring on the Gateway API", mirror, "  provider: gatewayapi:v1\n" + gateway, []string{
			"spec.analysis.mirror: provider gatewayapi:v1 cannot mirror traffic in a canary release (providers that can: istio)"}},
		{"session affinity on istio", sticky, "  provider: istio\n", nil},
		{"session affinity on SMI", sticky, "  provider: osm\n", []string{
			"spec.analysis.sessionAffinity: provider osm cannot route by a session cookie (providers that can: istio, gatewayapi:v1, gatewayapi:v1beta1)"}},
		{"kubernetes promotion steps", blueGreen + "    stepWeightPromotion: 50\n", "  provider: kubernetes\n", []string{
			"spec.analysis.stepWeightPromotion: provider kubernetes has no router: all traffic stays on the primary, which the promotion updates"}},
		{"A/B on a TCP service", ab, "  provider: istio\n  service:\n    port: 9898\n    appProtocol: TCP\n", []string{
			"spec.analysis.match: a TCP service (spec.service.appProtocol: tcp) is routed by weight only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testCanary(t, "    interval: 1m\n"+tt.analysis+tt.rest)
			var got []string
			for _, e := range Check(c) {
				got = append(got, e.Field+": "+e.Msg)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// A namespace with a line break must not get out of the header comment:
// every generated file is written by the YAML encoder, so the kustomization
// keeps the fields gitcanary gave it and no more.
func TestHeaderInjection(t *testing.T) {
	in := basicInput(t)
	in.Canary.Metadata.Namespace = "test\nimages:\n- name: ghcr.io/stefanprodan/podinfo\n  newName: evil.example.com/podinfo"
	for name, b := range componentFiles(t, in, Routing{PrimaryWeight: 100}, Options{ScaleDown: true}) {
		first, rest, _ := bytes.Cut(b, []byte("\n"))
		if !bytes.HasPrefix(first, []byte(`# Generated by gitcanary for Canary "test\nimages:`)) || bytes.HasPrefix(rest, []byte("#")) {
			t.Errorf("%s: header is not one quoted comment line:\n%s", name, b)
		}
		for _, o := range parse(t, b) {
			if o.Field("images") != nil {
				t.Errorf("%s: the namespace injected an images field:\n%s", name, b)
			}
		}
	}
	files, err := Component(in, Routing{PrimaryWeight: 100}, Options{ScaleDown: true})
	if err != nil {
		t.Fatal(err)
	}
	k := parse(t, files[KustomizationFile])[0]
	fields, _ := k.Fields()
	if want := []string{"apiVersion", "kind", "resources", "patches"}; !slices.Equal(fields, want) {
		t.Errorf("kustomization.yaml has fields %v, want %v", fields, want)
	}
}

// Routers refuse the routing they cannot generate rather than drop it:
// A/B testing is Istio's, the Gateway API's, NGINX's, Contour's, Gloo's
// and App Mesh's; session affinity Istio's and the Gateway API's;
// mirroring Istio's and (blue/green) the Gateway API's.
func TestUnsupportedRouting(t *testing.T) {
	ab := map[string]bool{"istio": true, "gatewayapi:v1": true, "gatewayapi:v1beta1": true, "nginx": true, "contour": true, "gloo": true, "appmesh": true, "appmesh:v1beta2": true}
	cookie := map[string]bool{"istio": true, "gatewayapi:v1": true, "gatewayapi:v1beta1": true}
	for provider := range providerApps {
		c := providerCanary(t, provider)
		in := Input{Canary: c, Target: basicInput(t).Target, Source: sourceFor(t, c)}
		for _, tt := range []struct {
			r        Routing
			supports bool
		}{
			{Routing{PrimaryWeight: 0, CanaryWeight: 100, Match: []any{map[string]any{"headers": map[string]any{"x-canary": map[string]any{"exact": "insider"}}}}}, ab[provider]},
			{Routing{PrimaryWeight: 100, Cookie: &Cookie{Canary: "flagger-cookie=abc", Attributes: "Max-Age=60"}}, cookie[provider]},
			{Routing{PrimaryWeight: 100, Mirror: true}, provider == "istio" || strings.HasPrefix(provider, "gatewayapi")},
		} {
			_, err := Component(in, tt.r, Options{})
			if tt.supports && err != nil || !tt.supports && !errors.Is(err, ErrNotSupported) {
				t.Errorf("%s: %+v: got %v, supported %v", provider, tt.r, err, tt.supports)
			}
		}
	}
}

// sourceFor parses the object the canary's router copies from its test app.
func sourceFor(t *testing.T, c *api.Canary) *yaml.RNode {
	t.Helper()
	src := Source(c)
	if src == nil {
		return nil
	}
	for _, content := range providerApps[c.Spec.Provider].files {
		o := yaml.MustParse(content)
		if o.GetKind() == src.Kind {
			o.SetNamespace(c.Metadata.Namespace)
			return o
		}
	}
	t.Fatalf("%s: no %s in the test app", c.Spec.Provider, src.Kind)
	return nil
}

func TestNginxAnnotations(t *testing.T) {
	c := providerCanary(t, "nginx")
	in := Input{Canary: c, Target: basicInput(t).Target, Source: sourceFor(t, c)}
	for _, tt := range []struct {
		r      Routing
		prefix string
		want   string
	}{
		{Routing{PrimaryWeight: 100}, "", `nginx.ingress.kubernetes.io/canary: "false"` + "\n"},
		{Routing{PrimaryWeight: 70, CanaryWeight: 30}, "", "nginx.ingress.kubernetes.io/canary: \"true\"\n    nginx.ingress.kubernetes.io/canary-weight: \"30\"\n"},
		{Routing{PrimaryWeight: 70, CanaryWeight: 30}, "custom.nginx.org", "custom.nginx.org/canary: \"true\"\n    custom.nginx.org/canary-weight: \"30\"\n"},
	} {
		files, err := Component(in, tt.r, Options{IngressAnnotationsPrefix: tt.prefix})
		if err != nil {
			t.Fatal(err)
		}
		if b := files["nginx.yaml"]; !bytes.Contains(b, []byte("  annotations:\n    "+tt.want)) {
			t.Errorf("%+v %q: want %q in\n%s", tt.r, tt.prefix, tt.want, b)
		}
		got, err := ReadRouting(parse(t, files["nginx.yaml"]), c)
		if err != nil || got.CanaryWeight != tt.r.CanaryWeight {
			t.Errorf("%+v: read back %+v, %v", tt.r, got, err)
		}
	}
	in.Source = nil
	if _, err := Component(in, Routing{PrimaryWeight: 100}, Options{}); err == nil || err.Error() != "canary test/podinfo: spec.ingressRef: no Ingress podinfo given" {
		t.Errorf("no Ingress: %v", err)
	}
	in.Source = yaml.MustParse(strings.ReplaceAll(sampleFile("nginx", "ingress.yaml"), "name: podinfo\n                port", "name: other\n                port"))
	if _, err := Component(in, Routing{PrimaryWeight: 100}, Options{}); err == nil || !strings.Contains(err.Error(), "Ingress podinfo: no path of its rules routes to the Service podinfo (spec.service.name)") {
		t.Errorf("Ingress without the apex backend: %v", err)
	}
}

func TestTrafficSplitWeights(t *testing.T) {
	for _, tt := range []struct{ provider, want string }{
		{"linkerd", "weight: \"30\""},
		{"smi:v1alpha2:linkerd", "weight: 30\n"},
		{"osm", "weight: 30\n"},
	} {
		files, err := Component(Input{Canary: providerCanary(t, tt.provider), Target: basicInput(t).Target}, Routing{PrimaryWeight: 70, CanaryWeight: 30}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if b := files["smi.yaml"]; !bytes.Contains(b, []byte(tt.want)) {
			t.Errorf("%s: want %q in\n%s", tt.provider, tt.want, b)
		}
	}
}

func TestReadRoutingErrors(t *testing.T) {
	c := providerCanary(t, "linkerd")
	ts := func(weights string) []*yaml.RNode {
		return []*yaml.RNode{yaml.MustParse(fmt.Sprintf("apiVersion: split.smi-spec.io/v1alpha1\nkind: TrafficSplit\nmetadata: {name: podinfo, namespace: test}\nspec:\n  backends: %s\n", weights))}
	}
	for _, tt := range []struct {
		objs []*yaml.RNode
		want string
	}{
		{nil, "rendered output lacks TrafficSplit test/podinfo"},
		{ts(`[{service: podinfo-primary, weight: "100"}]`), "TrafficSplit test/podinfo does not split between podinfo-primary and podinfo-canary"},
		{ts(`[{service: podinfo-primary, weight: "lots"}, {service: podinfo-canary, weight: "0"}]`), `TrafficSplit test/podinfo: weight "lots" is not a whole number between 0 and 100`},
	} {
		if _, err := ReadRouting(tt.objs, c); err == nil || err.Error() != tt.want {
			t.Errorf("got %v, want %q", err, tt.want)
		}
	}
	c.Spec.Provider = "nope"
	if _, err := ReadRouting(nil, c); !errors.Is(err, ErrUnknownProvider) {
		t.Errorf("unknown provider: %v", err)
	}
	if err := CheckRouting(ts(`[{service: podinfo-primary, weight: "90"}, {service: podinfo-canary, weight: "10"}]`), providerCanary(t, "linkerd"), Routing{PrimaryWeight: 80, CanaryWeight: 20}); err == nil || err.Error() != "rendered TrafficSplit test/podinfo routes 90/10, want 80/20" {
		t.Errorf("CheckRouting: %v", err)
	}
}

func TestProviders(t *testing.T) {
	want := "istio, linkerd, smi:v1alpha1|v1alpha2|v1alpha3[:mesh], osm, gatewayapi:v1, gatewayapi:v1beta1, nginx, kubernetes, contour, gloo, traefik, kuma, skipper, apisix, appmesh, appmesh:v1beta2"
	if got := strings.Join(Providers(), ", "); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
