package templates

import (
	"errors"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// workload is a Deployment target, as Flagger's deployment controller
// handles it: a <target>-primary copy with -primary copies of its tracked
// configs and autoscaler, and the canary scaled to zero replicas while idle.
type workload struct{}

func (workload) primary(in Input, n names) ([]*yaml.Node, error) {
	return copyPrimary(in, n, func(d *yaml.RNode) error {
		// Replicas are kept, 0 becomes 1, as in Flagger.
		if r, _ := d.Pipe(yaml.Lookup("spec", "replicas")); r != nil && r.YNode().Value == "0" {
			r.YNode().Value = "1"
		}
		return nil
	})
}

func (workload) patches(in Input, n names, down bool) ([]patchFile, error) {
	if !down {
		return nil, nil
	}
	return scaleDownPatch(in, n, mapping("replicas", 0)), nil
}

// scaleDownPatch is the strategic-merge patch of the target with spec.
func scaleDownPatch(in Input, n names, spec *yaml.Node) []patchFile {
	return []patchFile{{
		file: ScaleDownFile,
		docs: []*yaml.Node{mapping(
			"apiVersion", in.Target.GetApiVersion(),
			"kind", in.Target.GetKind(),
			"metadata", meta(n.target, n.namespace, nil, nil),
			"spec", spec,
		)},
		target: in.Target,
	}}
}

func (workload) scaledDown(obj *yaml.RNode) bool {
	r, _ := obj.Pipe(yaml.Lookup("spec", "replicas"))
	return r != nil && r.YNode().Value == "0"
}

func (workload) inputs(in Input) []Revertible {
	return []Revertible{{Kind: in.Target.GetKind(), Name: in.Naming.written(in.Target.GetName()), Fields: [][]string{{"spec", "template"}}}}
}

// daemonSet is a DaemonSet target, released blue/green only, as Flagger's
// daemonset controller handles it: it has no replicas, so the canary is
// held at zero pods by a node selector no node matches.
type daemonSet struct{ workload }

// scaleToZeroSelector is the node selector Flagger gives a DaemonSet it
// scales to zero.
const scaleToZeroSelector = "flagger.app/scale-to-zero"

func (daemonSet) primary(in Input, n names) ([]*yaml.Node, error) {
	return copyPrimary(in, n, nil)
}

func (daemonSet) patches(in Input, n names, down bool) ([]patchFile, error) {
	if !down {
		return nil, nil
	}
	return scaleDownPatch(in, n, mapping("template", mapping("spec", mapping("nodeSelector", map[string]string{scaleToZeroSelector: "true"})))), nil
}

func (daemonSet) scaledDown(obj *yaml.RNode) bool {
	v, _ := obj.Pipe(yaml.Lookup("spec", "template", "spec", "nodeSelector", scaleToZeroSelector))
	return v != nil && v.YNode().Value == "true"
}

// copyPrimary returns primary.yaml's documents for a workload target: the
// <target>-primary copy, the -primary copies of its tracked ConfigMaps and
// Secrets, and the <autoscaler>-primary copy when the canary has an
// autoscalerRef. adjust changes the copied workload further.
//
// The copy is made as Flagger creates it: renamed, its selector reduced to
// the selector label with the value "<value>-primary", that label set on
// its metadata and pod template, and its references to tracked
// configuration renamed to the -primary copies. Its container images get
// their placeholder names (see ImagesFile). Status and the metadata
// fields an API server or kustomize adds are dropped.
func copyPrimary(in Input, n names, adjust func(*yaml.RNode) error) ([]*yaml.Node, error) {
	configs, err := ReferencedConfigs(in.Target, in.Configs)
	if err != nil {
		return nil, err
	}
	copies := make(map[ConfigRef]string, len(configs))
	for _, c := range configs {
		copies[ConfigRef{Kind: c.GetKind(), Name: c.GetName()}] = n.naming.derived(c.GetName(), "-primary")
	}
	value := n.labelValue + "-primary"
	d := in.Target.Copy()
	err = errors.Join(
		clean(d),
		d.PipeE(yaml.SetK8sName(n.primary), yaml.SetK8sNamespace(n.namespace)),
		d.SetMapField(yaml.NewRNode(str(value)), "metadata", "labels", n.labelKey),
		d.SetMapField(yaml.NewRNode(mapping("matchLabels", map[string]string{n.labelKey: value})), "spec", "selector"),
		d.SetMapField(yaml.NewRNode(str(value)), "spec", "template", "metadata", "labels", n.labelKey),
		visitConfigRefs(d, func(kind string, name *yaml.Node) {
			if c, ok := copies[ConfigRef{Kind: kind, Name: name.Value}]; ok {
				name.Value = c
			}
		}),
	)
	if err == nil && adjust != nil {
		err = adjust(d)
	}
	usePlaceholders(d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", objectName(in.Target), err)
	}
	docs := []*yaml.Node{d.YNode()}
	for _, c := range configs {
		p, err := primaryConfig(c, n, copies[ConfigRef{Kind: c.GetKind(), Name: c.GetName()}])
		if err != nil {
			return nil, err
		}
		docs = append(docs, p.YNode())
	}
	if in.Canary.Spec.AutoscalerRef != nil {
		a, err := primaryAutoscaler(in, n)
		if err != nil {
			return nil, err
		}
		docs = append(docs, a.YNode())
	}
	return docs, nil
}

// primaryConfig copies a ConfigMap or Secret as name. Like Flagger, it
// keeps the labels and the content but not the annotations.
func primaryConfig(c *yaml.RNode, n names, name string) (*yaml.RNode, error) {
	p := c.Copy()
	err := errors.Join(
		clean(p),
		p.PipeE(yaml.SetK8sName(name), yaml.SetK8sNamespace(n.namespace)),
		p.PipeE(yaml.Lookup("metadata"), yaml.Clear("annotations")),
	)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", objectName(c), err)
	}
	return p, nil
}
