package templates

import (
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func deployment(t *testing.T, selector string) *yaml.RNode {
	t.Helper()
	return yaml.MustParse(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: test
spec:
` + selector)
}

func TestSelectorLabel(t *testing.T) {
	tests := []struct {
		name      string
		selector  string
		key, val  string
		wantError string
	}{
		{
			name:     "app wins over the others",
			selector: "  selector:\n    matchLabels:\n      app.kubernetes.io/name: a\n      name: b\n      app: c\n",
			key:      "app", val: "c",
		},
		{
			name:     "name wins over app.kubernetes.io/name",
			selector: "  selector:\n    matchLabels:\n      app.kubernetes.io/name: a\n      name: b\n",
			key:      "name", val: "b",
		},
		{
			name:     "app.kubernetes.io/name",
			selector: "  selector:\n    matchLabels:\n      app.kubernetes.io/name: a\n      tier: web\n",
			key:      "app.kubernetes.io/name", val: "a",
		},
		{
			name:      "other labels only",
			selector:  "  selector:\n    matchLabels:\n      tier: web\n",
			wantError: "Deployment test/podinfo: spec.selector.matchLabels must contain one of app, name, app.kubernetes.io/name",
		},
		{
			name:      "matchExpressions only",
			selector:  "  selector:\n    matchExpressions:\n    - {key: app, operator: In, values: [podinfo]}\n",
			wantError: "Deployment test/podinfo: spec.selector.matchLabels must contain one of",
		},
		{
			name:      "no selector",
			selector:  "  replicas: 1\n",
			wantError: "Deployment test/podinfo: spec.selector.matchLabels must contain one of",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key, val, err := SelectorLabel(deployment(t, tt.selector))
			if tt.wantError != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantError) || !errors.Is(err, ErrNoSelectorLabel) {
					t.Fatalf("got error %v, want one starting with %q that wraps ErrNoSelectorLabel", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if key != tt.key || val != tt.val {
				t.Errorf("got %s=%s, want %s=%s", key, val, tt.key, tt.val)
			}
		})
	}
}
