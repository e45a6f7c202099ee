package templates

import (
	"slices"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

const allRefsTarget = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  template:
    spec:
      initContainers:
      - name: init
        envFrom:
        - configMapRef: {name: cm-init}
      containers:
      - name: a
        env:
        - name: PLAIN
          value: x
        - name: FIELD
          valueFrom:
            fieldRef: {fieldPath: metadata.name}
        - name: CM
          valueFrom:
            configMapKeyRef: {name: cm-env, key: k}
        - name: SECRET
          valueFrom:
            secretKeyRef: {name: s-env, key: k}
        envFrom:
        - configMapRef: {name: cm-envfrom}
        - secretRef: {name: s-envfrom}
      - name: b
        envFrom:
        - configMapRef: {name: cm-env}
      volumes:
      - name: v1
        configMap: {name: cm-vol}
      - name: v2
        secret: {secretName: s-vol}
      - name: v3
        projected:
          sources:
          - configMap: {name: cm-projected}
          - secret: {name: s-projected}
          - serviceAccountToken: {path: token}
      - name: v4
        emptyDir: {}
`

func TestTrackedConfigs(t *testing.T) {
	got, err := TrackedConfigs(yaml.MustParse(allRefsTarget))
	if err != nil {
		t.Fatal(err)
	}
	want := []ConfigRef{
		{KindConfigMap, "cm-env"}, {KindConfigMap, "cm-envfrom"}, {KindConfigMap, "cm-init"},
		{KindConfigMap, "cm-projected"}, {KindConfigMap, "cm-vol"},
		{KindSecret, "s-env"}, {KindSecret, "s-envfrom"}, {KindSecret, "s-projected"}, {KindSecret, "s-vol"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if s := want[0].String(); s != "ConfigMap/cm-env" {
		t.Errorf("ConfigRef.String: got %q", s)
	}
}

func TestTrackedConfigsNone(t *testing.T) {
	for _, target := range []string{
		"kind: Deployment\nmetadata:\n  name: a\n",
		"kind: Deployment\nmetadata:\n  name: a\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: a\n",
	} {
		got, err := TrackedConfigs(yaml.MustParse(target))
		if err != nil || len(got) != 0 {
			t.Errorf("%q: got %v, %v; want nothing", target, got, err)
		}
	}
}

func TestTrackable(t *testing.T) {
	tests := []struct {
		obj  string
		want bool
	}{
		{"kind: ConfigMap\nmetadata:\n  name: a\n", true},
		{"kind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    flagger.app/config-tracking: disabled\n", false},
		{"kind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    flagger.app/config-tracking: enabled\n", true},
		{"kind: Secret\nmetadata:\n  name: a\n", true},
		{"kind: Secret\nmetadata:\n  name: a\ntype: Opaque\n", true},
		{"kind: Secret\nmetadata:\n  name: a\ntype: kubernetes.io/tls\n", true},
		{"kind: Secret\nmetadata:\n  name: a\ntype: kubernetes.io/basic-auth\n", true},
		{"kind: Secret\nmetadata:\n  name: a\ntype: kubernetes.io/ssh-auth\n", true},
		{"kind: Secret\nmetadata:\n  name: a\ntype: kubernetes.io/dockerconfigjson\n", false},
		{"kind: Secret\nmetadata:\n  name: a\ntype: kubernetes.io/service-account-token\n", false},
		{"kind: Deployment\nmetadata:\n  name: a\n", false},
	}
	for _, tt := range tests {
		if got := Trackable(yaml.MustParse(tt.obj)); got != tt.want {
			t.Errorf("Trackable(%q) = %v, want %v", tt.obj, got, tt.want)
		}
	}
}

func TestReferencedConfigs(t *testing.T) {
	rendered := []*yaml.RNode{
		yaml.MustParse("kind: ConfigMap\nmetadata:\n  name: cm-vol\n"),
		yaml.MustParse("kind: ConfigMap\nmetadata:\n  name: unreferenced\n"),
		yaml.MustParse("kind: Secret\nmetadata:\n  name: cm-env\n"), // a Secret, referenced as a ConfigMap
		yaml.MustParse("kind: Secret\nmetadata:\n  name: s-vol\ntype: kubernetes.io/dockerconfigjson\n"),
		yaml.MustParse("kind: Secret\nmetadata:\n  name: s-env\n"),
		yaml.MustParse(allRefsTarget),
	}
	got, err := ReferencedConfigs(yaml.MustParse(allRefsTarget), rendered)
	if err != nil {
		t.Fatal(err)
	}
	if n := objectNames(got); !slices.Equal(n, []string{"ConfigMap/cm-vol", "Secret/s-env"}) {
		t.Errorf("got %v, want ConfigMap/cm-vol and Secret/s-env", n)
	}
}
