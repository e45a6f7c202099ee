package templates

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Files of a canary's component folder.
const (
	// KustomizationFile declares the Component: its resources and patches.
	KustomizationFile = "kustomization.yaml"
	// PrimaryFile holds the primary Deployment and the -primary copies of
	// its ConfigMaps, Secrets and HorizontalPodAutoscaler.
	PrimaryFile = "primary.yaml"
	// ServicesFile holds the Services gitcanary adds.
	ServicesFile = "services.yaml"
	// ApexPatchFile is the JSON 6902 patch that makes an apex Service the app
	// defines select the primary pods.
	ApexPatchFile = "apex-patch.yaml"
	// ScaleDownFile is the strategic-merge patch that scales the target (the
	// canary) to zero replicas.
	ScaleDownFile = "scale-down.yaml"
	// ScalerPauseFile is the patch that pauses the canary's KEDA
	// ScaledObject at zero replicas while it is scaled down.
	ScalerPauseFile = "scaler-pause.yaml"
	// StatusFile is the canary's status. It lives in the folder but is not
	// part of the component; this package never writes it.
	StatusFile = "status.yaml"
)

// Dir returns the component folder of a canary, relative to its app
// directory. The app's kustomization lists it under components.
func Dir(c *api.Canary) string {
	return path.Join("gitcanary", c.Metadata.Name)
}

// Errors callers may test for with errors.Is.
var (
	// ErrNotSupported means the canary asks for something this package
	// cannot generate: a provider without a router, a target or
	// autoscaler kind without an implementation.
	ErrNotSupported = errors.New("not supported yet")
	// ErrNoSelectorLabel means the target's selector has none of the labels
	// Flagger keys on.
	ErrNoSelectorLabel = errors.New("spec.selector.matchLabels must contain one of app, name, app.kubernetes.io/name")
)

// Input is what the component of one canary is generated from.
type Input struct {
	// Canary is the parsed and defaulted Canary.
	Canary *api.Canary
	// Target is the target workload (spec.targetRef) as the app renders
	// without gitcanary's component.
	Target *yaml.RNode
	// Configs are the rendered ConfigMaps and Secrets the target's pod
	// template references (see ReferencedConfigs). Those that are present
	// and trackable get -primary copies; other references are left as
	// they are.
	Configs []*yaml.RNode
	// Apex is the app's own Service named spec.service.name, or nil when
	// the app does not define one.
	Apex *yaml.RNode
	// Autoscaler is the rendered HorizontalPodAutoscaler or KEDA
	// ScaledObject named by spec.autoscalerRef, or nil when the canary has
	// none.
	Autoscaler *yaml.RNode
	// Source is the rendered object of the app the router derives its
	// objects from (see Source): the Ingress of spec.ingressRef for nginx
	// and skipper, the ApisixRoute of spec.routeRef, the Gloo Upstream of
	// spec.upstreamRef; nil for other providers.
	Source *yaml.RNode
	// Naming is what the app's kustomization does to the component's
	// objects (see ReadProbe).
	Naming Naming
	// Release is set when a Helm release renders the target: see Release.
	Release *Release
}

// Routing is the traffic split the router objects carry.
type Routing struct {
	// PrimaryWeight and CanaryWeight are percentages that add up to 100.
	PrimaryWeight int
	CanaryWeight  int
	// Mirror copies the primary's traffic to the canary.
	Mirror bool
	// MirrorWeight is the percentage of traffic mirrored; 0 mirrors all
	// of it.
	MirrorWeight int
	// Match, when set, is the A/B rule (spec.analysis.match, Istio
	// HTTPMatchRequests): only matching requests get the weights, the
	// others go to the primary.
	Match []any
	// Cookie, when set, makes the canary's users sticky (session
	// affinity).
	Cookie *Cookie
}

// Cookie is the session-affinity state of a routing (Flagger's router
// reads it from the canary's status): the cookies the responses set, and
// the one a previous run set, to expire.
type Cookie struct {
	// Canary is the run's "name=value" cookie, which the canary's
	// responses set and which sends the requests that carry it to the
	// canary; "" while the canary gets no traffic.
	Canary string
	// Attributes follow Canary in its Set-Cookie header ("Max-Age=86400;
	// Path=/").
	Attributes string
	// Primary is the "name=value" cookie the primary's responses set
	// (sessionAffinity.primaryCookieName), which keeps the users it served
	// on it; "" without.
	Primary           string
	PrimaryAttributes string
	// Previous is the last run's cookie, which responses expire while the
	// canary gets no traffic.
	Previous string
}

// unsupported returns an error for the parts of a routing a router with
// features f does not generate, so that none is dropped silently.
func (r Routing) unsupported(provider string, f features) error {
	var parts []string
	if len(r.Match) > 0 && !f.match {
		parts = append(parts, "A/B testing (analysis.match)")
	}
	if r.Mirror && !f.mirror && !f.mirrorBlueGreen {
		parts = append(parts, "traffic mirroring (analysis.mirror)")
	}
	if r.Cookie != nil && !f.cookie {
		parts = append(parts, "session affinity (analysis.sessionAffinity)")
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("provider %s: %s: %w", provider, strings.Join(parts, ", "), ErrNotSupported)
}

func (r Routing) validate() error {
	if r.PrimaryWeight < 0 || r.CanaryWeight < 0 || r.PrimaryWeight+r.CanaryWeight != 100 {
		return fmt.Errorf("routing: weights must be between 0 and 100 and add up to 100, got primary %d and canary %d", r.PrimaryWeight, r.CanaryWeight)
	}
	if r.MirrorWeight < 0 || r.MirrorWeight > 100 {
		return fmt.Errorf("routing: mirror weight must be between 0 and 100, got %d", r.MirrorWeight)
	}
	return nil
}

// Options are the parts of the component that do not depend on the
// routing.
type Options struct {
	// ScaleDown scales the target (the canary) to zero replicas, as while
	// the canary is idle.
	ScaleDown bool
	// IngressAnnotationsPrefix is the prefix of the NGINX canary
	// annotations (Flagger's -ingress-annotations-prefix); empty means
	// DefaultIngressAnnotationsPrefix.
	IngressAnnotationsPrefix string
}

// names are the object names and the selector label of one canary, as
// they render (see Naming.written for the names the component writes).
type names struct {
	namespace string
	// target and primary are the workloads.
	target, primary string
	// apex, primarySvc and canarySvc are the Services.
	apex, primarySvc, canarySvc string
	// labelKey and labelValue are the target's selector label; the
	// primary's pods carry labelValue-primary.
	labelKey, labelValue string
	// naming is what the app's kustomization does to generated objects.
	naming Naming
	// kind generates what the target's kind needs.
	kind target
}

// newNames checks the input and derives the names of the generated objects.
func newNames(in Input) (names, error) {
	c := in.Canary
	if c == nil {
		return names{}, errors.New("no canary given")
	}
	if in.Target == nil {
		return names{}, fmt.Errorf("canary %s: no target given", c.ID())
	}
	ref := c.Spec.TargetRef
	if k, n := in.Target.GetKind(), in.Target.GetName(); k != ref.Kind || n != ref.Name {
		return names{}, fmt.Errorf("canary %s: spec.targetRef is %s %s, but the target given is %s %s", c.ID(), ref.Kind, ref.Name, k, n)
	}
	kind, err := targetFor(in)
	if err != nil {
		return names{}, fmt.Errorf("canary %s: spec.targetRef.kind: %w", c.ID(), err)
	}
	key, value, err := SelectorLabel(in.Target)
	if err != nil {
		return names{}, err
	}
	g := in.Naming
	if err := checkNaming(in, g, key); err != nil {
		return names{}, err
	}
	svc := c.Spec.Service.Name
	if svc == "" {
		svc = ref.Name
	}
	return names{
		namespace:  c.Metadata.Namespace,
		target:     ref.Name,
		primary:    PrimaryName(in),
		apex:       svc,
		primarySvc: g.derived(svc, "-primary"),
		canarySvc:  g.derived(svc, "-canary"),
		labelKey:   key,
		labelValue: value,
		naming:     g,
		kind:       kind,
	}, nil
}

// checkNaming refuses what the app's kustomization would do to the
// generated objects that breaks them: another namespace than the canary's,
// a common label on the selector key (it would make the primary's pods the
// canary's), an apex Service name the prefix and suffix cannot give.
func checkNaming(in Input, g Naming, key string) error {
	c := in.Canary
	if g.Namespace != "" && g.Namespace != c.Metadata.Namespace {
		return fmt.Errorf("canary %s: metadata.namespace: the app's kustomization sets namespace %s on every object, the generated ones too: give the Canary namespace %s", c.ID(), g.Namespace, g.Namespace)
	}
	if v, ok := g.Labels[key]; ok {
		return fmt.Errorf("canary %s: the app's kustomization sets the label %s=%s on every object: the primary's pods would carry the canary's selector label; use another label key in commonLabels/labels", c.ID(), key, v)
	}
	if in.Apex == nil && !g.carries(c.Spec.Service.Name) && c.Spec.Service.Name != "" {
		return fmt.Errorf("canary %s: spec.service.name: the app's kustomization gives every object %s, the generated Services too, so they cannot be named %s: use a name with them (%s)", c.ID(), g, c.Spec.Service.Name, g.final(c.Spec.Service.Name))
	}
	if in.Release == nil && !g.carries(in.Target.GetName()) {
		return fmt.Errorf("canary %s: spec.targetRef.name: the app's kustomization gives every object %s, but %s does not carry it", c.ID(), g, in.Target.GetName())
	}
	return nil
}

// header is the comment at the top of every generated file. The encoder
// writes it as a YAML comment, line by line; a canary ID that is not a
// plain name is quoted, so that it stays on one line.
func header(c *api.Canary) string {
	id := c.ID()
	if strings.IndexFunc(id, notPlain) >= 0 {
		id = strconv.Quote(id)
	}
	return "Generated by gitcanary for Canary " + id + ". Do not edit."
}

func notPlain(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-./_", r))
}

// apexMetadata returns spec.service.apex's labels and annotations, which
// Flagger gives the router objects named after the apex Service.
func apexMetadata(s api.Service) (labels, annotations map[string]string) {
	if s.Apex == nil {
		return nil, nil
	}
	return s.Apex.Labels, s.Apex.Annotations
}
