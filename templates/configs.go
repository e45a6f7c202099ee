package templates

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Kinds of tracked configuration objects.
const (
	KindConfigMap = "ConfigMap"
	KindSecret    = "Secret"
)

// configTrackingAnnotation set to "disabled" on a ConfigMap or Secret stops
// Flagger (and gitcanary) from tracking it.
const configTrackingAnnotation = "flagger.app/config-tracking"

// trackedSecretTypes are the Secret types Flagger tracks; registry
// credentials and service account tokens are left alone.
var trackedSecretTypes = []string{"", "Opaque", "kubernetes.io/basic-auth", "kubernetes.io/ssh-auth", "kubernetes.io/tls"}

// ConfigRef names a ConfigMap or Secret the target's pod template uses.
type ConfigRef struct {
	// Kind is KindConfigMap or KindSecret.
	Kind string
	Name string
}

// String returns "Kind/name", the key of status.trackedConfigs.
func (r ConfigRef) String() string {
	return r.Kind + "/" + r.Name
}

// TrackedConfigs lists the ConfigMaps and Secrets the target's pod template
// references, as Flagger tracks them: volumes (projected sources included)
// and, in containers and init containers, env valueFrom and envFrom. The
// list is sorted (ConfigMaps first) and has no duplicates. References to
// objects the app does not render are the caller's to ignore.
func TrackedConfigs(target *yaml.RNode) ([]ConfigRef, error) {
	var refs []ConfigRef
	err := visitConfigRefs(target, func(kind string, name *yaml.Node) {
		refs = append(refs, ConfigRef{Kind: kind, Name: name.Value})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(refs, func(a, b ConfigRef) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	return slices.Compact(refs), nil
}

// Trackable reports whether Flagger would track a referenced ConfigMap or
// Secret: not one annotated flagger.app/config-tracking: disabled, and for
// Secrets only the Opaque, basic-auth, ssh-auth and tls types. A
// SOPS-encrypted Secret is never tracked (see Encrypted).
func Trackable(obj *yaml.RNode) bool {
	if strings.HasPrefix(obj.GetAnnotations()[configTrackingAnnotation], "disable") || Encrypted(obj) {
		return false
	}
	switch obj.GetKind() {
	case KindConfigMap:
		return true
	case KindSecret:
		t, _ := obj.GetString("type")
		return slices.Contains(trackedSecretTypes, t)
	}
	return false
}

// Encrypted reports whether obj is a SOPS-encrypted Secret: Flux decrypts
// it when it applies it, so gitcanary never copies nor decrypts it; the
// primary uses the original, and changes to it are not canaried.
func Encrypted(obj *yaml.RNode) bool {
	return obj.GetKind() == KindSecret && obj.Field("sops") != nil
}

// ReferencedConfigs picks out of the rendered objects of an app the
// ConfigMaps and Secrets the target references and Flagger would track, in
// TrackedConfigs order. This is Input.Configs, and what the revision hash
// covers besides the pod template.
func ReferencedConfigs(target *yaml.RNode, rendered []*yaml.RNode) ([]*yaml.RNode, error) {
	refs, err := TrackedConfigs(target)
	if err != nil {
		return nil, err
	}
	byRef := make(map[ConfigRef]*yaml.RNode, len(rendered))
	for _, o := range rendered {
		if o == nil {
			continue
		}
		byRef[ConfigRef{Kind: o.GetKind(), Name: o.GetName()}] = o
	}
	var out []*yaml.RNode
	for _, r := range refs {
		if o := byRef[r]; o != nil && Trackable(o) {
			out = append(out, o)
		}
	}
	return out, nil
}

// visitConfigRefs calls fn with the name node of every ConfigMap and Secret
// reference in the pod template of a workload; fn may change the name.
func visitConfigRefs(workload *yaml.RNode, fn func(kind string, name *yaml.Node)) error {
	pod, err := workload.Pipe(yaml.Lookup("spec", "template", "spec"))
	if err != nil {
		return fmt.Errorf("%s: spec.template.spec: %w", objectName(workload), err)
	}
	if pod == nil {
		return nil
	}
	ref := func(n *yaml.RNode, kind string, path ...string) {
		if v, _ := n.Pipe(yaml.Lookup(path...)); v != nil && v.YNode().Kind == yaml.ScalarNode && v.YNode().Value != "" {
			fn(kind, v.YNode())
		}
	}
	each := func(n *yaml.RNode, field string, f func(*yaml.RNode)) {
		list, _ := n.Pipe(yaml.Lookup(field))
		if list == nil || list.YNode().Kind != yaml.SequenceNode {
			return
		}
		for _, e := range list.YNode().Content {
			if e.Kind == yaml.MappingNode {
				f(yaml.NewRNode(e))
			}
		}
	}
	each(pod, "volumes", func(v *yaml.RNode) {
		ref(v, KindConfigMap, "configMap", "name")
		ref(v, KindSecret, "secret", "secretName")
		projected, _ := v.Pipe(yaml.Lookup("projected"))
		if projected == nil {
			return
		}
		each(projected, "sources", func(s *yaml.RNode) {
			ref(s, KindConfigMap, "configMap", "name")
			ref(s, KindSecret, "secret", "name")
		})
	})
	for _, field := range []string{"initContainers", "containers"} {
		each(pod, field, func(c *yaml.RNode) {
			each(c, "env", func(e *yaml.RNode) {
				ref(e, KindConfigMap, "valueFrom", "configMapKeyRef", "name")
				ref(e, KindSecret, "valueFrom", "secretKeyRef", "name")
			})
			each(c, "envFrom", func(e *yaml.RNode) {
				ref(e, KindConfigMap, "configMapRef", "name")
				ref(e, KindSecret, "secretRef", "name")
			})
		})
	}
	return nil
}
