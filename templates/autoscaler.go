package templates

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// An autoscaler is one kind of spec.autoscalerRef: the primary gets a
// <name>-primary copy scaling it, and the canary's own autoscaler must not
// scale the canary up while it is idle.
type autoscaler interface {
	// primary adjusts the copy of the canary's autoscaler (renamed,
	// cleaned) to scale the primary.
	primary(c *api.Canary, copy *yaml.RNode, n names) error
	// pause returns the patch that keeps the canary's autoscaler from
	// scaling it up while idle, or nil when scaling to zero suffices.
	pause(in Input, n names) *patchFile
	// check returns the problems of spec.autoscalerRef for this kind.
	check(c *api.Canary) []problem
}

// autoscalers are the kinds spec.autoscalerRef may name.
var autoscalers = map[string]autoscaler{
	"HorizontalPodAutoscaler": hpa{},
	"ScaledObject":            scaledObject{},
}

// AutoscalerKinds lists the kinds spec.autoscalerRef may name.
func AutoscalerKinds() []string {
	return slices.Sorted(maps.Keys(autoscalers))
}

func checkAutoscaler(c *api.Canary) []problem {
	ref := c.Spec.AutoscalerRef
	if ref == nil {
		return nil
	}
	a, ok := autoscalers[ref.Kind]
	if !ok {
		return []problem{{"spec.autoscalerRef.kind", fmt.Sprintf("autoscaler kind %q is not supported (supported: %s)", ref.Kind, strings.Join(AutoscalerKinds(), ", "))}}
	}
	return a.check(c)
}

// primaryAutoscaler copies the canary's autoscaler as <name>-primary,
// scaling the primary. Like Flagger, it keeps the labels but not the
// annotations.
func primaryAutoscaler(in Input, n names) (*yaml.RNode, error) {
	ref := in.Canary.Spec.AutoscalerRef
	a, ok := autoscalers[ref.Kind]
	if !ok {
		return nil, fmt.Errorf("canary %s: spec.autoscalerRef.kind: autoscaler kind %q is %w", in.Canary.ID(), ref.Kind, ErrNotSupported)
	}
	if in.Autoscaler == nil {
		return nil, fmt.Errorf("canary %s: spec.autoscalerRef: %s %s is not part of the app", in.Canary.ID(), ref.Kind, ref.Name)
	}
	if k, name := in.Autoscaler.GetKind(), in.Autoscaler.GetName(); k != ref.Kind || name != ref.Name {
		return nil, fmt.Errorf("canary %s: spec.autoscalerRef is %s %s, but the autoscaler given is %s %s", in.Canary.ID(), ref.Kind, ref.Name, k, name)
	}
	h := in.Autoscaler.Copy()
	err := errors.Join(
		clean(h),
		h.PipeE(yaml.SetK8sName(n.naming.derived(ref.Name, "-primary")), yaml.SetK8sNamespace(n.namespace)),
		h.PipeE(yaml.Lookup("metadata"), yaml.Clear("annotations")),
		h.SetMapField(yaml.NewRNode(str(n.primary)), "spec", "scaleTargetRef", "name"),
		a.primary(in.Canary, h, n),
	)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", objectName(in.Autoscaler), err)
	}
	return h, nil
}

// hpa is a HorizontalPodAutoscaler: the primary's copy is bounded by
// primaryScalerReplicas when set. The canary's needs no pause: Kubernetes
// does not scale a workload whose replicas are 0.
type hpa struct{}

func (hpa) primary(c *api.Canary, h *yaml.RNode, _ names) error {
	r := c.Spec.AutoscalerRef.PrimaryScalerReplicas
	if r == nil {
		return nil
	}
	var errs []error
	if r.MinReplicas != nil {
		errs = append(errs, h.SetMapField(yaml.NewRNode(integer(int64(*r.MinReplicas))), "spec", "minReplicas"))
	}
	if r.MaxReplicas > 0 {
		errs = append(errs, h.SetMapField(yaml.NewRNode(integer(int64(r.MaxReplicas))), "spec", "maxReplicas"))
	}
	return errors.Join(errs...)
}

func (hpa) pause(Input, names) *patchFile { return nil }

func (hpa) check(c *api.Canary) []problem {
	if len(c.Spec.AutoscalerRef.PrimaryScalerQueries) > 0 {
		return []problem{{"spec.autoscalerRef.primaryScalerQueries", "is for KEDA ScaledObjects; a HorizontalPodAutoscaler has no queries"}}
	}
	return nil
}

// scaledObject is a KEDA ScaledObject, as Flagger's ScaledObject
// reconciler handles it: the primary's copy has its triggers' queries
// rewritten for the primary (or taken from primaryScalerQueries, by trigger
// name), and the canary's is paused at zero replicas while idle
// (autoscaling.keda.sh/paused-replicas: "0").
type scaledObject struct{}

// pausedReplicas is KEDA's annotation that holds a ScaledObject's target
// at a number of replicas.
const pausedReplicas = "autoscaling.keda.sh/paused-replicas"

func (scaledObject) primary(c *api.Canary, so *yaml.RNode, n names) error {
	triggers, err := so.Pipe(yaml.Lookup("spec", "triggers"))
	if err != nil || triggers == nil {
		return err
	}
	queries := c.Spec.AutoscalerRef.PrimaryScalerQueries
	target := c.Spec.TargetRef.Name
	for _, t := range triggers.Content() {
		tr := yaml.NewRNode(t)
		q, _ := tr.Pipe(yaml.Lookup("metadata", "query"))
		if q == nil {
			continue
		}
		if len(queries) > 0 {
			name, _ := tr.GetString("name")
			if v, ok := queries[name]; ok {
				q.YNode().Value = v
			}
			continue
		}
		// As Flagger: <target>-canary and <target> become <target>-primary.
		const hold = "\x00"
		v := strings.ReplaceAll(q.YNode().Value, target+"-canary", hold)
		v = strings.ReplaceAll(v, target, n.primary)
		q.YNode().Value = strings.ReplaceAll(v, hold, n.primary)
	}
	return nil
}

func (scaledObject) pause(in Input, n names) *patchFile {
	so := in.Autoscaler
	if so == nil {
		return nil
	}
	return &patchFile{
		file: ScalerPauseFile,
		docs: []*yaml.Node{mapping(
			"apiVersion", so.GetApiVersion(),
			"kind", so.GetKind(),
			"metadata", meta(so.GetName(), n.namespace, nil, map[string]string{pausedReplicas: "0"}),
		)},
		target: so,
	}
}

func (scaledObject) check(c *api.Canary) []problem {
	if c.Spec.AutoscalerRef.PrimaryScalerReplicas != nil {
		return []problem{{"spec.autoscalerRef.primaryScalerReplicas", "is for HorizontalPodAutoscalers; a ScaledObject's primary copy keeps minReplicaCount and maxReplicaCount"}}
	}
	return nil
}
