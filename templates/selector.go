package templates

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// selectorLabels are the labels Flagger keys on, in order of preference
// (its -selector-labels default).
var selectorLabels = []string{"app", "name", "app.kubernetes.io/name"}

// SelectorLabel returns the label Flagger keys on: the first of app, name and
// app.kubernetes.io/name in the target's spec.selector.matchLabels. The
// primary's pods carry the value with "-primary" appended. The error, which
// wraps ErrNoSelectorLabel, names the target.
func SelectorLabel(target *yaml.RNode) (key, value string, err error) {
	labels, err := target.Pipe(yaml.Lookup("spec", "selector", "matchLabels"))
	if err != nil {
		return "", "", fmt.Errorf("%s: spec.selector.matchLabels: %w", objectName(target), err)
	}
	for _, k := range selectorLabels {
		if labels == nil {
			break
		}
		if f := labels.Field(k); f != nil && f.Value.YNode().Kind == yaml.ScalarNode {
			return k, f.Value.YNode().Value, nil
		}
	}
	return "", "", fmt.Errorf("%s: %w", objectName(target), ErrNoSelectorLabel)
}

// objectName names an object the way errors do: "Deployment test/podinfo".
func objectName(o *yaml.RNode) string {
	if ns := o.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", o.GetKind(), ns, o.GetName())
	}
	return fmt.Sprintf("%s %s", o.GetKind(), o.GetName())
}
