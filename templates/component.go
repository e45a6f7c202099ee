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
	var pfs []patchFile
	if in.Apex != nil && in.Release == nil {
		pfs = append(pfs, patchFile{file: ApexPatchFile, docs: []*yaml.Node{apexPatch(n)}, target: in.Apex})
	}
	own, err := n.kind.patches(in, n, o.ScaleDown)
	if err != nil {
		return nil, fmt.Errorf("canary %s: %w", in.Canary.ID(), err)
	}
	pfs = append(pfs, own...)
	if o.ScaleDown {
		if a := in.Canary.Spec.AutoscalerRef; a != nil && autoscalers[a.Kind] != nil {
			if p := autoscalers[a.Kind].pause(in, n); p != nil {
				pfs = append(pfs, *p)
			}
		}
	}
	var patches []*yaml.Node
	for _, p := range pfs {
		files[p.file] = p.docs
		patches = append(patches, patchEntry(p.file, n.naming.written(p.target.GetName()), p.target))
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
		localize(n.naming, docs)
		b, err := encode(h, docs...)
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

// patchEntry lists a patch file in the kustomization, with a target that
// selects the object by group, version, kind and name (as the component
// sees it: without the app's prefix and suffix). The namespace is left
// out: the app's kustomization may set it only after the component's
// patches have run.
func patchEntry(file, name string, target *yaml.RNode) *yaml.Node {
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
			"name", name,
		),
	)
}
