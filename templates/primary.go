package templates

import (
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Primary renders primary.yaml: the <target>-primary Deployment, the
// -primary copies of the tracked ConfigMaps and Secrets, and the
// <hpa>-primary HorizontalPodAutoscaler when the canary has an
// autoscalerRef.
//
// The Deployment is a copy of the target, as Flagger creates it: renamed,
// its selector reduced to the selector label with the value
// "<value>-primary", that label set on its metadata and pod template, and its
// references to tracked configuration renamed to the -primary copies.
// Replicas are kept (0 becomes 1, as in Flagger); a target without replicas,
// typically one scaled by an HPA, gives a primary without them. Status and
// the metadata fields an API server or kustomize adds are dropped.
//
// Routing and options do not enter this file: it changes only when a
// revision is promoted.
func Primary(in Input) ([]byte, error) {
	n, err := newNames(in)
	if err != nil {
		return nil, err
	}
	configs, err := ReferencedConfigs(in.Target, in.Configs)
	if err != nil {
		return nil, err
	}
	dep, err := primaryDeployment(in, n, configs)
	if err != nil {
		return nil, err
	}
	docs := []*yaml.Node{dep.YNode()}
	for _, c := range configs {
		p, err := primaryConfig(c, n)
		if err != nil {
			return nil, err
		}
		docs = append(docs, p.YNode())
	}
	if in.Canary.Spec.AutoscalerRef != nil {
		hpa, err := primaryHPA(in, n)
		if err != nil {
			return nil, err
		}
		docs = append(docs, hpa.YNode())
	}
	return encode(header(in.Canary), docs...)
}

func primaryDeployment(in Input, n names, configs []*yaml.RNode) (*yaml.RNode, error) {
	tracked := make(map[ConfigRef]bool, len(configs))
	for _, c := range configs {
		tracked[ConfigRef{Kind: c.GetKind(), Name: c.GetName()}] = true
	}
	value := n.labelValue + "-primary"
	d := in.Target.Copy()
	err := errors.Join(
		clean(d),
		d.PipeE(yaml.SetK8sName(n.primary), yaml.SetK8sNamespace(n.namespace)),
		d.SetMapField(yaml.NewRNode(str(value)), "metadata", "labels", n.labelKey),
		d.SetMapField(yaml.NewRNode(mapping("matchLabels", map[string]string{n.labelKey: value})), "spec", "selector"),
		d.SetMapField(yaml.NewRNode(str(value)), "spec", "template", "metadata", "labels", n.labelKey),
		visitConfigRefs(d, func(kind string, name *yaml.Node) {
			if tracked[ConfigRef{Kind: kind, Name: name.Value}] {
				name.Value += "-primary"
			}
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", objectName(in.Target), err)
	}
	if r, _ := d.Pipe(yaml.Lookup("spec", "replicas")); r != nil && r.YNode().Value == "0" {
		r.YNode().Value = "1"
	}
	return d, nil
}

// primaryConfig copies a ConfigMap or Secret as <name>-primary. Like
// Flagger, it keeps the labels and the content but not the annotations.
func primaryConfig(c *yaml.RNode, n names) (*yaml.RNode, error) {
	p := c.Copy()
	err := errors.Join(
		clean(p),
		p.PipeE(yaml.SetK8sName(c.GetName()+"-primary"), yaml.SetK8sNamespace(n.namespace)),
		p.PipeE(yaml.Lookup("metadata"), yaml.Clear("annotations")),
	)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", objectName(c), err)
	}
	return p, nil
}

// primaryHPA copies the target's HorizontalPodAutoscaler as <hpa>-primary,
// scaling the primary Deployment, within primaryScalerReplicas when set.
// Like Flagger, it keeps the labels but not the annotations.
func primaryHPA(in Input, n names) (*yaml.RNode, error) {
	ref := in.Canary.Spec.AutoscalerRef
	if ref.Kind != "HorizontalPodAutoscaler" {
		return nil, fmt.Errorf("canary %s: spec.autoscalerRef.kind: autoscaler kind %q is %w", in.Canary.ID(), ref.Kind, ErrNotSupported)
	}
	if in.HPA == nil {
		return nil, fmt.Errorf("canary %s: spec.autoscalerRef: HorizontalPodAutoscaler %s is not part of the app", in.Canary.ID(), ref.Name)
	}
	if k, name := in.HPA.GetKind(), in.HPA.GetName(); k != ref.Kind || name != ref.Name {
		return nil, fmt.Errorf("canary %s: spec.autoscalerRef is %s %s, but the autoscaler given is %s %s", in.Canary.ID(), ref.Kind, ref.Name, k, name)
	}
	h := in.HPA.Copy()
	errs := []error{
		clean(h),
		h.PipeE(yaml.SetK8sName(ref.Name+"-primary"), yaml.SetK8sNamespace(n.namespace)),
		h.PipeE(yaml.Lookup("metadata"), yaml.Clear("annotations")),
		h.SetMapField(yaml.NewRNode(str(n.primary)), "spec", "scaleTargetRef", "name"),
	}
	if r := ref.PrimaryScalerReplicas; r != nil {
		if r.MinReplicas != nil {
			errs = append(errs, h.SetMapField(yaml.NewRNode(integer(int64(*r.MinReplicas))), "spec", "minReplicas"))
		}
		if r.MaxReplicas > 0 {
			errs = append(errs, h.SetMapField(yaml.NewRNode(integer(int64(r.MaxReplicas))), "spec", "maxReplicas"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", objectName(in.HPA), err)
	}
	return h, nil
}

// droppedMetadata are the metadata fields an API server sets; they must not
// be copied into a new object.
var droppedMetadata = []string{
	"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields",
	"selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
}

// droppedAnnotationPrefixes are the annotations kustomize, kyaml and kubectl
// add to objects they handle.
var droppedAnnotationPrefixes = []string{
	"config.kubernetes.io/", "internal.config.kubernetes.io/", "config.k8s.io/",
	"kustomize.config.k8s.io/", "kubectl.kubernetes.io/last-applied-configuration",
	"deployment.kubernetes.io/revision",
}

// clean drops status, server-set metadata, tool annotations and comments
// from a copied object.
func clean(o *yaml.RNode) error {
	stripComments(o.YNode())
	if err := o.PipeE(yaml.Clear("status")); err != nil {
		return err
	}
	md, err := o.Pipe(yaml.Lookup("metadata"))
	if err != nil || md == nil {
		return err
	}
	for _, f := range droppedMetadata {
		if err := md.PipeE(yaml.Clear(f)); err != nil {
			return err
		}
	}
	for k := range o.GetAnnotations() {
		for _, p := range droppedAnnotationPrefixes {
			if strings.HasPrefix(k, p) {
				if err := o.PipeE(yaml.ClearAnnotation(k)); err != nil {
					return err
				}
				break
			}
		}
	}
	return yaml.ClearEmptyAnnotations(o)
}
