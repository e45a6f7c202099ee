package templates

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Component renders every file of the canary's component folder except
// primary.yaml (see Primary) and status.yaml: kustomization.yaml, the
// Services, the router file of spec.provider (see RouterFile; kubernetes
// has none) and the patches. It returns file name → content. Files of the folder that are not
// in the map (scale-down.yaml when Options.ScaleDown is off) are no longer
// part of the component and should be deleted, status.yaml excepted.
//
// Only the router file depends on the routing.
func Component(in Input, r Routing, o Options) (map[string][]byte, error) {
	n, err := newNames(in)
	if err != nil {
		return nil, err
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	p, err := Lookup(in.Canary.Spec.Provider)
	if err != nil {
		return nil, fmt.Errorf("canary %s: spec.provider: %w", in.Canary.ID(), err)
	}
	if ref := p.r.source(in.Canary); ref != nil && in.Source == nil && !ref.Optional {
		return nil, fmt.Errorf("canary %s: %s: no %s %s given", in.Canary.ID(), ref.Field, ref.Kind, ref.Name)
	}
	svcs, err := services(in, n)
	if err != nil {
		return nil, err
	}
	if err := r.unsupported(p.Name, p.r.features()); err != nil {
		return nil, fmt.Errorf("canary %s: %w", in.Canary.ID(), err)
	}
	routes, err := p.r.objects(in.Canary, n, in.Source, r, o)
	if err != nil {
		return nil, fmt.Errorf("canary %s: %w", in.Canary.ID(), err)
	}

	files := map[string][]*yaml.Node{ServicesFile: svcs}
	resources := []string{PrimaryFile, ServicesFile}
	if f := p.r.file(); f != "" {
		files[f] = routes
		resources = append(resources, f)
	}
	var patches []*yaml.Node
	if in.Apex != nil {
		files[ApexPatchFile] = []*yaml.Node{apexPatch(n)}
		patches = append(patches, patchEntry(ApexPatchFile, in.Apex))
	}
	if o.ScaleDown {
		files[ScaleDownFile] = []*yaml.Node{scaleDown(in.Target, n)}
		patches = append(patches, patchEntry(ScaleDownFile, in.Target))
	}
	files[KustomizationFile] = []*yaml.Node{mapping(
		"apiVersion", "kustomize.config.k8s.io/v1alpha1",
		"kind", "Component",
		"resources", resources,
		"patches", seq(patches...),
	)}

	out := make(map[string][]byte, len(files))
	h := header(in.Canary)
	for name, docs := range files {
		b, err := encode(h, docs...)
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

// scaleDown is the strategic-merge patch that scales the target to zero.
func scaleDown(target *yaml.RNode, n names) *yaml.Node {
	return mapping(
		"apiVersion", target.GetApiVersion(),
		"kind", target.GetKind(),
		"metadata", meta(n.target, n.namespace, nil, nil),
		"spec", mapping("replicas", 0),
	)
}

// patchEntry lists a patch file in the kustomization, with a target that
// selects the object by group, version, kind and name. The namespace is
// left out: the app's kustomization may set it only after the component's
// patches have run.
func patchEntry(file string, target *yaml.RNode) *yaml.Node {
	group, version, found := strings.Cut(target.GetApiVersion(), "/")
	if !found {
		group, version = "", group
	}
	return mapping(
		"path", file,
		"target", mapping(
			"group", group,
			"version", version,
			"kind", target.GetKind(),
			"name", target.GetName(),
		),
	)
}
