package reconciler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/fluxcd/pkg/envsubst"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Flux's post-build variable substitution (kustomize-controller's
// spec.postBuild): after the kustomize build, ${VAR} in every object is
// replaced with the Flux Kustomization's variables, unless the object opts
// out. gitcanary renders what Flux applies, so it substitutes the same way
// when the Flux Kustomization that applies an app is in the repository.

const (
	fluxKustomizeGroup = "kustomize.toolkit.fluxcd.io/"
	// substituteKey, set to "disabled" as a label or an annotation, keeps
	// Flux from substituting in an object.
	substituteKey = "kustomize.toolkit.fluxcd.io/substitute"
)

// varName is the form Flux requires of variable names.
var varName = regexp.MustCompile(`^[_[:alpha:]][_[:alpha:][:digit:]]*$`)

// placeholder finds a ${VAR} reference that post-build substitution would
// replace ($${VAR} is an escaped, literal one).
var placeholder = regexp.MustCompile(`(^|[^$])\$\{([_[:alpha:]][_[:alpha:][:digit:]]*)`)

// fluxKustomization is a Flux Kustomization found in the repository: where
// it applies and its post-build variables.
type fluxKustomization struct {
	Source api.Source
	ID     string // namespace/name
	// Path is the repository directory it builds.
	Path string
	// Vars are spec.postBuild.substitute, and the data of the ConfigMaps of
	// spec.postBuild.substituteFrom found in the repository.
	Vars map[string]string
	// Unknown names the substituteFrom sources gitcanary cannot read (a
	// Secret, a ConfigMap not in the repository).
	Unknown []string
	// Files are the files the variables come from: its own, and those of
	// the ConfigMaps found.
	Files []string
	// from are the substituteFrom references, resolved after the scan.
	from []substituteRef
}

type substituteRef struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Optional bool   `json:"optional"`
}

// parseFluxKustomizations returns the Flux Kustomizations of a file.
func parseFluxKustomizations(p string, data []byte) ([]*fluxKustomization, error) {
	docs, err := api.SplitDocuments(p, data)
	if err != nil {
		return nil, err
	}
	var out []*fluxKustomization
	for _, d := range docs {
		if d.Kind != "Kustomization" || !strings.HasPrefix(d.APIVersion, fluxKustomizeGroup) {
			continue
		}
		var doc struct {
			Spec struct {
				Path      string `json:"path"`
				PostBuild struct {
					Substitute     map[string]string `json:"substitute"`
					SubstituteFrom []substituteRef   `json:"substituteFrom"`
				} `json:"postBuild"`
			} `json:"spec"`
		}
		src := api.Source{Path: p, Index: d.Index}
		raw, err := api.DecodeDocument(src, "Kustomization "+d.Namespace+"/"+d.Name, d.Node)
		if err != nil {
			return nil, err
		}
		js, err := json.Marshal(raw)
		if err == nil {
			err = json.Unmarshal(js, &doc)
		}
		if err != nil {
			return nil, &api.FieldError{Source: src, Object: "Kustomization " + d.Namespace + "/" + d.Name, Field: "spec.postBuild", Msg: err.Error()}
		}
		k := &fluxKustomization{Source: src, ID: d.Namespace + "/" + d.Name,
			Path: strings.Trim(path.Clean("/"+doc.Spec.Path), "/"), Vars: map[string]string{}, from: doc.Spec.PostBuild.SubstituteFrom}
		for name, v := range doc.Spec.PostBuild.Substitute {
			if !varName.MatchString(name) {
				return nil, &api.FieldError{Source: src, Object: "Kustomization " + k.ID, Field: "spec.postBuild.substitute." + name,
					Msg: fmt.Sprintf("variable name must match %s", varName)}
			}
			k.Vars[name] = strings.ReplaceAll(v, "\n", "")
		}
		out = append(out, k)
	}
	return out, nil
}

// resolve adds to each Kustomization the data of the ConfigMaps its
// substituteFrom names, found in the repository (configMaps, by
// namespace/name), in order; the inline variables override them, as in
// kustomize-controller.
func resolveSubstituteFrom(ks []*fluxKustomization, configMaps map[string]configMap) {
	for _, k := range ks {
		k.Files = []string{k.Source.Path}
		if len(k.from) == 0 {
			continue
		}
		inline := k.Vars
		k.Vars = map[string]string{}
		ns, _, _ := strings.Cut(k.ID, "/")
		for _, ref := range k.from {
			cm, ok := configMaps[ns+"/"+ref.Name]
			if ref.Kind != "ConfigMap" || !ok {
				if !ref.Optional {
					k.Unknown = append(k.Unknown, ref.Kind+"/"+ref.Name)
				}
				continue
			}
			k.Files = append(k.Files, cm.path)
			for name, v := range cm.data {
				k.Vars[name] = strings.ReplaceAll(v, "\n", "")
			}
		}
		for name, v := range inline {
			k.Vars[name] = v
		}
	}
}

// postBuild is the substitution Flux applies to an app's build output.
type postBuild struct {
	k *fluxKustomization
}

// postBuildFor returns the substitution of the Flux Kustomization that
// applies appDir (the one whose path is the nearest ancestor of it), nil
// when none does. Two at the same path are ambiguous.
func postBuildFor(ks []*fluxKustomization, appDir string) (*postBuild, error) {
	var best []*fluxKustomization
	for _, k := range ks {
		if k.Path != "" && appDir != k.Path && !strings.HasPrefix(appDir, k.Path+"/") {
			continue
		}
		switch {
		case len(best) == 0 || len(k.Path) > len(best[0].Path):
			best = []*fluxKustomization{k}
		case len(k.Path) == len(best[0].Path):
			best = append(best, k)
		}
	}
	if len(best) == 0 {
		return nil, nil
	}
	if len(best) > 1 {
		var ids []string
		for _, k := range best {
			if len(k.Vars) > 0 || len(k.Unknown) > 0 {
				ids = append(ids, fmt.Sprintf("%s (%s)", k.ID, k.Source))
			}
		}
		if len(ids) > 1 {
			sort.Strings(ids)
			return nil, fmt.Errorf("%s is applied by several Flux Kustomizations with post-build variables: %s; gitcanary cannot tell which values the cluster runs", appDir, strings.Join(ids, ", "))
		}
	}
	return &postBuild{k: best[0]}, nil
}

// apply substitutes in every object that does not opt out, as
// kustomize-controller does after the build. A nil postBuild substitutes
// nothing. What the variables add is bounded, as the render's output is
// (gitops.DefaultMaxOutputBytes): a value of a megabyte referenced a
// thousand times would otherwise take gigabytes.
func (pb *postBuild) apply(objs []*yaml.RNode) ([]*yaml.RNode, error) {
	if pb == nil || len(pb.k.Vars) == 0 {
		return objs, nil
	}
	added := 0
	out := make([]*yaml.RNode, 0, len(objs))
	for _, o := range objs {
		if o.GetLabels()[substituteKey] == "disabled" || o.GetAnnotations()[substituteKey] == "disabled" {
			out = append(out, o)
			continue
		}
		s, err := o.String()
		if err != nil {
			return nil, err
		}
		sub, err := envsubst.Eval(s, func(name string) (string, bool) {
			v, ok := pb.k.Vars[name]
			if added += len(v); added > gitops.DefaultMaxOutputBytes {
				return "", ok // the error follows
			}
			return v, ok
		})
		if err == nil && added > gitops.DefaultMaxOutputBytes {
			err = fmt.Errorf("%w: its variables add more than %d bytes", gitops.ErrTooLarge, gitops.DefaultMaxOutputBytes)
		}
		if err != nil {
			return nil, fmt.Errorf("post-build substitution of %s %s (Flux Kustomization %s): %w", o.GetKind(), o.GetName(), pb.k.ID, err)
		}
		n, err := yaml.Parse(sub)
		if err != nil {
			return nil, fmt.Errorf("post-build substitution of %s %s (Flux Kustomization %s): %w", o.GetKind(), o.GetName(), pb.k.ID, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// checkPlaceholders rejects a target whose pod template holds a ${VAR}
// gitcanary cannot resolve as Flux will: with no Flux Kustomization in the
// repository, or one whose variables come from a source gitcanary cannot
// read. The primary would copy the placeholder and a change of the variable
// would not be a canary. target is the object before substitution.
func (pb *postBuild) checkPlaceholders(c *api.Canary, target *yaml.RNode) error {
	if target.GetLabels()[substituteKey] == "disabled" || target.GetAnnotations()[substituteKey] == "disabled" {
		return nil
	}
	tmpl, err := target.Pipe(yaml.Lookup("spec", "template"))
	if err != nil || tmpl == nil {
		return nil
	}
	s, err := tmpl.String()
	if err != nil {
		return err
	}
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		name := m[2]
		ref := fmt.Sprintf("%s %s: spec.template has ${%s}", target.GetKind(), target.GetName(), name)
		switch {
		case pb == nil:
			return fmt.Errorf("%s: Flux substitutes it after the build (spec.postBuild), but no Flux Kustomization in the repository applies %s, so gitcanary cannot know its value. Add that Kustomization to the repository, or escape the reference as $${%s} if it is not a Flux variable", ref, c.Source.AppDir, name)
		case len(pb.k.Unknown) > 0:
			if _, ok := pb.k.Vars[name]; !ok {
				return fmt.Errorf("%s: Flux Kustomization %s (%s) may take it from %s, which gitcanary cannot read from the repository; set it in spec.postBuild.substitute", ref, pb.k.ID, pb.k.Source, strings.Join(pb.k.Unknown, ", "))
			}
		}
	}
	return nil
}

// configMap is a ConfigMap of the repository, a source of post-build
// variables.
type configMap struct {
	path string
	data map[string]string
}

// configMapData returns the data of a file's ConfigMaps by namespace/name.
func configMapData(p string, data []byte) map[string]configMap {
	if !bytes.Contains(data, []byte("ConfigMap")) {
		return nil
	}
	docs, err := api.SplitDocuments(p, data)
	if err != nil {
		return nil
	}
	out := map[string]configMap{}
	for _, d := range docs {
		if d.Kind != "ConfigMap" || d.APIVersion != "v1" {
			continue
		}
		raw, err := api.DecodeDocument(api.Source{Path: p, Index: d.Index}, "", d.Node)
		if err != nil {
			continue // the render reports it, if the ConfigMap is used
		}
		obj, _ := raw.(map[string]any)
		data, _ := obj["data"].(map[string]any)
		cm := configMap{path: p, data: make(map[string]string, len(data))}
		for k, v := range data {
			if v != nil {
				cm.data[k] = fmt.Sprint(v)
			}
		}
		out[d.Namespace+"/"+d.Name] = cm
	}
	return out
}
