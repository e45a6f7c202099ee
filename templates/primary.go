package templates

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Primary renders primary.yaml: the primary the target's kind needs (see
// target): for a Deployment or a DaemonSet, its <target>-primary copy with
// -primary copies of the tracked ConfigMaps and Secrets and of the
// autoscaler; for a target a Helm release renders, the <release>-primary
// HelmRelease.
//
// Routing and options do not enter this file: it changes only when a
// revision is promoted.
func Primary(in Input) ([]byte, error) {
	n, err := newNames(in)
	if err != nil {
		return nil, err
	}
	docs, err := n.kind.primary(in, n)
	if err != nil {
		return nil, err
	}
	localize(n.naming, docs)
	return encode(header(in.Canary), docs...)
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
