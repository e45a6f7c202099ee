package reconciler

import (
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// FuzzPostBuild feeds a fuzzed file, read both as Flux Kustomizations and
// as substituteFrom ConfigMaps, and a fuzzed object to Flux post-build
// substitution: parsing never panics and its errors name the file,
// choosing the Kustomization of an app and checking placeholders never
// panic, and a substitution either fails or adds at most the render's
// output bound.
func FuzzPostBuild(f *testing.F) {
	const flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./apps/x\n  postBuild:\n    substitute:\n      VERSION: 6.0.1\n    substituteFrom:\n      - kind: ConfigMap\n        name: vars\n"
	const vars = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vars\n  namespace: flux-system\ndata:\n  ZONE: eu\n"
	const deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\nspec:\n  template:\n    spec:\n      containers:\n      - image: podinfo:${VERSION}\n        env: [{name: Z, value: '${ZONE:=us}'}]\n"
	f.Add([]byte(flux+vars), deployment)
	f.Add([]byte(flux), "kind: ConfigMap\ndata: {a: '${VERSION}${VERSION}$${X}${'}\n")
	f.Add([]byte(strings.Replace(flux, "VERSION: 6.0.1", "'bad name': x", 1)), deployment)
	f.Add([]byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nspec: {path: ../.., postBuild: {substitute: &s {a: *s}}}\n"), "a: b\n")
	f.Fuzz(func(t *testing.T, data []byte, object string) {
		ks, err := parseFluxKustomizations("clusters/apps.yaml", data)
		if err != nil {
			var fe *api.FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "clusters/apps.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		resolveSubstituteFrom(ks, configMapData("apps/x/vars.yaml", data))
		pb, err := postBuildFor(ks, "apps/x")
		if err != nil {
			return
		}
		obj, err := yaml.Parse(object)
		if err != nil || obj.YNode().Kind != yaml.MappingNode {
			return
		}
		before, err := obj.String()
		if err != nil {
			return
		}
		c := &api.Canary{Source: api.Source{AppDir: "apps/x"}}
		_ = pb.checkPlaceholders(c, obj)
		out, err := pb.apply([]*yaml.RNode{obj})
		if err != nil {
			return
		}
		after, err := out[0].String()
		if err != nil {
			t.Fatalf("substituted object does not print: %v", err)
		}
		if len(after) > len(before)+gitops.DefaultMaxOutputBytes+1024 {
			t.Fatalf("substitution grew %d bytes to %d", len(before), len(after))
		}
	})
}
