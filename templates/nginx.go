package templates

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// DefaultIngressAnnotationsPrefix is the prefix of NGINX's canary
// annotations, as Flagger's -ingress-annotations-prefix defaults it.
const DefaultIngressAnnotationsPrefix = "nginx.ingress.kubernetes.io"

const ingressAPIGroup = "networking.k8s.io"

// nginxRouter renders what Flagger's NGINX router creates: a copy of the
// app's Ingress (spec.ingressRef) named <ingress>-canary whose backends
// that name the apex Service name the canary Service instead, with NGINX's
// canary annotations: canary "true" and canary-weight while the canary
// gets traffic (for an A/B test, canary-by-header or canary-by-cookie
// instead of the weight), canary "false" otherwise.
//
// The app's own Ingress is left as its owner wrote it: it routes to the
// apex Service, which the component makes select the primary pods, so it
// serves the promoted version after each promotion, as Flagger's does.
type nginxRouter struct{}

func (nginxRouter) file() string { return "nginx.yaml" }

func (nginxRouter) check(c *api.Canary) []problem {
	out := requireRef(c.Spec.Provider, "spec.ingressRef", "Ingress", c.Spec.IngressRef)
	if a := c.Spec.Analysis; a != nil {
		_, problems := nginxMatch(c.Spec.Provider, a.Match)
		out = append(out, problems...)
	}
	return out
}

// NGINX routes an A/B test by one header or a cookie, all or nothing.
func (nginxRouter) features() features { return features{match: true} }

// nginxAB is an A/B rule as NGINX's canary annotations take it: a header
// (canary-by-header) with its exact value or pattern, and a cookie
// (canary-by-cookie, the value of an Istio "cookie" header match).
type nginxAB struct {
	header, value, pattern, cookie string
}

// nginxMatch reads the A/B rule for NGINX, as Flagger's router does: a
// "cookie" header match names the cookie; one other header, by exact value
// or regex.
func nginxMatch(provider string, match []any) (nginxAB, []problem) {
	headers, problems := headerMatches(provider, match, nil, []string{"exact", "regex"})
	var ab nginxAB
	for _, h := range headers {
		switch {
		case strings.EqualFold(h.name, "cookie") && h.kind == "exact":
			ab.cookie = h.value
		case strings.EqualFold(h.name, "cookie"):
			problems = append(problems, problem{"spec.analysis.match", fmt.Sprintf("provider %s matches a cookie by its exact name (canary-by-cookie: the cookie set to always)", provider)})
		case ab.header != "" && ab.header != h.name:
			problems = append(problems, problem{"spec.analysis.match", fmt.Sprintf("provider %s matches one header (canary-by-header), got %s and %s", provider, ab.header, h.name)})
		default:
			ab.header = h.name
			if h.kind == "regex" {
				ab.pattern = h.value
			} else {
				ab.value = h.value
			}
		}
	}
	return ab, problems
}

func (nginxRouter) source(c *api.Canary) *SourceRef {
	return ingressSource(c)
}

func ingressSource(c *api.Canary) *SourceRef {
	if c.Spec.IngressRef == nil {
		return nil
	}
	return &SourceRef{Field: "spec.ingressRef", Kind: "Ingress", Namespace: c.Metadata.Namespace, Name: c.Spec.IngressRef.Name}
}

func (nginxRouter) objects(c *api.Canary, n names, ing *yaml.RNode, r Routing, o Options) ([]*yaml.Node, error) {
	prefix := o.IngressAnnotationsPrefix
	if prefix == "" {
		prefix = DefaultIngressAnnotationsPrefix
	}
	clone, err := cloneIngress(ing, n, ing.GetName()+"-canary", func(paths *yaml.RNode, i int, backend *yaml.RNode) {
		setString(backend, n.canarySvc)
	})
	if err != nil {
		return nil, err
	}
	annotations := map[string]string{}
	for k, v := range clone.GetAnnotations() {
		if !strings.Contains(k, prefix+"/canary") && k != "kubectl.kubernetes.io/last-applied-configuration" {
			annotations[k] = v
		}
	}
	ab, problems := nginxMatch(c.Spec.Provider, r.Match)
	switch {
	case len(problems) > 0:
		return nil, fmt.Errorf("%s: %s", problems[0].field, problems[0].msg)
	case r.CanaryWeight > 0 && len(r.Match) > 0:
		// A/B testing: the matching requests go to the canary.
		annotations[prefix+"/canary"] = "true"
		for k, v := range map[string]string{"canary-by-header": ab.header, "canary-by-header-value": ab.value, "canary-by-header-pattern": ab.pattern, "canary-by-cookie": ab.cookie} {
			if v != "" {
				annotations[prefix+"/"+k] = v
			}
		}
	case r.CanaryWeight > 0:
		annotations[prefix+"/canary"] = "true"
		annotations[prefix+"/canary-weight"] = strconv.Itoa(r.CanaryWeight)
	default:
		annotations[prefix+"/canary"] = "false"
	}
	if err := clone.SetAnnotations(annotations); err != nil {
		return nil, err
	}
	return []*yaml.Node{clone.YNode()}, nil
}

// weights reads the canary Ingress's annotations, whatever their prefix:
// canary-weight while canary is "true", else no traffic to the canary; an
// A/B rule (canary-by-header or canary-by-cookie) sends all the matching
// requests to the canary, as Flagger's GetRoutes reads it.
func (nginxRouter) weights(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	if c.Spec.IngressRef == nil {
		return Routed{}, errors.New("spec.ingressRef is not set")
	}
	ing, err := findRendered(objs, ingressAPIGroup, "Ingress", c.Spec.IngressRef.Name+"-canary", c.Metadata.Namespace)
	if err != nil {
		return Routed{}, err
	}
	out := Routed{Object: objectName(ing)}
	var enabled bool
	weight := 0
	for k, v := range ing.GetAnnotations() {
		switch {
		case strings.HasSuffix(k, "/canary"):
			enabled = v == "true"
		case strings.HasSuffix(k, "/canary-by-header"), strings.HasSuffix(k, "/canary-by-cookie"):
			out.Conditional = true
		case strings.HasSuffix(k, "/canary-weight"):
			if weight, err = parseWeight(v); err != nil {
				return out, fmt.Errorf("%s: annotation %s: %w", out.Object, k, err)
			}
		}
	}
	switch {
	case !enabled:
		weight, out.Conditional = 0, false
	case out.Conditional:
		weight = 100
	}
	out.PrimaryWeight, out.CanaryWeight = 100-weight, weight
	return out, nil
}

// cloneIngress copies the app's Ingress as name, calling rename for each
// path whose backend is the apex Service (with the paths list, the path's
// index and the backend's service name node). It fails when no path routes
// to the apex Service. Both networking.k8s.io/v1 (backend.service.name) and
// v1beta1 (backend.serviceName) Ingresses are read.
func cloneIngress(ing *yaml.RNode, n names, name string, rename func(paths *yaml.RNode, i int, svc *yaml.RNode)) (*yaml.RNode, error) {
	clone := ing.Copy()
	if err := clean(clone); err != nil {
		return nil, fmt.Errorf("%s: %w", objectName(ing), err)
	}
	if err := clone.PipeE(yaml.SetK8sName(name), yaml.SetK8sNamespace(n.namespace)); err != nil {
		return nil, err
	}
	found := false
	for _, rule := range elements(at(clone, "spec", "rules")) {
		paths := at(rule, "http", "paths")
		items := elements(paths)
		for i, p := range items {
			svc := at(p, "backend", "service", "name")
			if svc == nil {
				svc = at(p, "backend", "serviceName")
			}
			if yaml.GetValue(svc) == n.apex {
				rename(paths, i, svc)
				found = true
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: no path of its rules routes to the Service %s (spec.service.name)", objectName(ing), n.apex)
	}
	return clone, nil
}

// setString replaces a scalar's value.
func setString(n *yaml.RNode, v string) {
	n.YNode().Value = v
}
