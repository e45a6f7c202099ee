package templates

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// A target generates what the component holds for one kind of target: the
// primary, and the patches that hold the canary at zero pods while it is
// idle. Each kind is one implementation (workload.go: Deployment and
// DaemonSet; helmrelease.go: a Deployment a Helm release renders); the
// render check, validation and the revert ask it, never a kind name.
type target interface {
	// primary returns the documents of primary.yaml.
	primary(in Input, n names) ([]*yaml.Node, error)
	// patches returns the component's patches of the app's objects for
	// the target: with down, those that hold the canary at zero pods.
	patches(in Input, n names, down bool) ([]patchFile, error)
	// scaledDown reports whether the rendered target runs no pods.
	scaledDown(obj *yaml.RNode) bool
	// inputs lists the documents of the app's source files whose fields
	// make the target's revision, for a rollback to put back.
	inputs(in Input) []Revertible
}

// patchFile is a patch of the component: its file, its documents and the
// object it applies to.
type patchFile struct {
	file   string
	docs   []*yaml.Node
	target *yaml.RNode
}

// workloadKinds are the kinds a targetRef may name, with what each needs.
var workloadKinds = map[string]target{
	"Deployment": workload{},
	"DaemonSet":  daemonSet{},
}

// TargetKinds lists the kinds spec.targetRef may name.
func TargetKinds() []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range workloadKinds {
			if !yield(k) {
				return
			}
		}
	})
}

// targetFor returns the implementation for the input's target.
func targetFor(in Input) (target, error) {
	kind := in.Canary.Spec.TargetRef.Kind
	t, ok := workloadKinds[kind]
	if !ok {
		return nil, fmt.Errorf("target kind %q is %w (supported: %s)", kind, ErrNotSupported, strings.Join(TargetKinds(), ", "))
	}
	if in.Release != nil {
		return helmRelease{workload: t}, nil
	}
	return t, nil
}

// checkTarget returns the problems of the canary's target fields: a kind
// gitcanary has, and the strategy that kind allows.
func checkTarget(c *api.Canary) []problem {
	ref := c.Spec.TargetRef
	switch {
	case ref.Name == "" || ref.Kind == "":
		return nil // the schema says so
	case workloadKinds[ref.Kind] == nil:
		return []problem{{"spec.targetRef.kind", fmt.Sprintf("target kind %q is not supported (supported: %s)", ref.Kind, strings.Join(TargetKinds(), ", "))}}
	case ref.Kind == "DaemonSet" && c.Spec.Analysis != nil && c.Spec.Analysis.Strategy() != api.StrategyBlueGreen:
		return []problem{{"spec.analysis", fmt.Sprintf("a DaemonSet target is released blue/green only, as in Flagger: set analysis.iterations (without match); got a %s release", c.Spec.Analysis.Strategy())}}
	}
	return checkAutoscaler(c)
}

// Revertible names a document of the app's source files and the fields of
// it that make the target's revision: what a rollback puts back.
type Revertible struct {
	// Kind and Name identify the document as its file writes it.
	Kind, Name string
	// Fields are paths of fields ({"spec", "template"}).
	Fields [][]string
}

// Inputs lists the documents whose fields make the target's revision: the
// target's pod template (or its Helm release's values and chart) and the
// data of its tracked ConfigMaps and Secrets, named as the app's files
// write them (without the prefix and suffix the app's kustomization adds).
func Inputs(in Input, tracked []ConfigRef) ([]Revertible, error) {
	n, err := newNames(in)
	if err != nil {
		return nil, err
	}
	out := n.kind.inputs(in)
	for _, r := range tracked {
		out = append(out, Revertible{Kind: r.Kind, Name: in.Naming.written(r.Name), Fields: [][]string{{"data"}, {"binaryData"}, {"stringData"}}})
	}
	return out, nil
}

// ScaledDown reports whether the rendered target runs no pods, as the
// component's scale-down patches leave it.
func ScaledDown(in Input, rendered *yaml.RNode) (bool, error) {
	t, err := targetFor(in)
	if err != nil {
		return false, err
	}
	return t.scaledDown(rendered), nil
}

// PrimaryName returns the name the primary renders as: <target>-primary
// (with the app's nameSuffix last; a Helm release's objects do not get it).
func PrimaryName(in Input) string {
	if in.Release != nil {
		return in.Canary.Spec.TargetRef.Name + "-primary"
	}
	return in.Naming.derived(in.Canary.Spec.TargetRef.Name, "-primary")
}
