package templates

import (
	"errors"
	"fmt"
	"path"

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
	// cannot generate yet: a provider without a router, a target or
	// autoscaler kind other than Deployment and HorizontalPodAutoscaler.
	ErrNotSupported = errors.New("not supported yet")
	// ErrNoSelectorLabel means the target's selector has none of the labels
	// Flagger keys on.
	ErrNoSelectorLabel = errors.New("spec.selector.matchLabels must contain one of app, name, app.kubernetes.io/name")
)

// Input is what the component of one canary is generated from.
type Input struct {
	// Canary is the parsed and defaulted Canary.
	Canary *api.Canary
	// Target is the target Deployment as the app renders without
	// gitcanary's component.
	Target *yaml.RNode
	// Configs are the rendered ConfigMaps and Secrets the target's pod
	// template references (see ReferencedConfigs). Those that are present
	// and trackable get -primary copies; other references are left as
	// they are.
	Configs []*yaml.RNode
	// Apex is the app's own Service named spec.service.name, or nil when
	// the app does not define one.
	Apex *yaml.RNode
	// HPA is the rendered HorizontalPodAutoscaler named by
	// spec.autoscalerRef, or nil when the canary has none.
	HPA *yaml.RNode
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
}

// names are the object names and the selector label of one canary.
type names struct {
	namespace string
	// target and primary are the Deployments.
	target, primary string
	// apex, primarySvc and canarySvc are the Services.
	apex, primarySvc, canarySvc string
	// labelKey and labelValue are the target's selector label; the
	// primary's pods carry labelValue-primary.
	labelKey, labelValue string
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
	if ref.Kind != "Deployment" {
		return names{}, fmt.Errorf("canary %s: spec.targetRef.kind: target kind %q is %w", c.ID(), ref.Kind, ErrNotSupported)
	}
	key, value, err := SelectorLabel(in.Target)
	if err != nil {
		return names{}, err
	}
	svc := c.Spec.Service.Name
	if svc == "" {
		svc = ref.Name
	}
	return names{
		namespace:  c.Metadata.Namespace,
		target:     ref.Name,
		primary:    ref.Name + "-primary",
		apex:       svc,
		primarySvc: svc + "-primary",
		canarySvc:  svc + "-canary",
		labelKey:   key,
		labelValue: value,
	}, nil
}

// header is the first line of every generated file.
func header(c *api.Canary) string {
	return fmt.Sprintf("# Generated by gitcanary for Canary %s. Do not edit.\n", c.ID())
}
