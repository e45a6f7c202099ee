package reconciler

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/gitops"
)

// checkImagesEntries rejects an `images:` entry of the app's kustomization
// that matches the target's containers. Kustomize applies the including
// kustomization's transformers after its components, so such an entry would
// also rewrite the generated primary: primary and canary would then run the
// same version and the analysis would compare nothing.
func checkImagesEntries(fsys *gitops.FS, appDir string, target *yaml.RNode) error {
	kpath := kustomizationIn(fsys, appDir)
	data, err := fsys.ReadFile(kpath)
	if err != nil {
		return nil
	}
	k, err := yaml.Parse(string(data))
	if err != nil {
		return nil // the render reports it
	}
	images, err := k.Pipe(yaml.Lookup("images"))
	if err != nil || images == nil {
		return nil
	}
	used := containerImages(target)
	for i, e := range images.Content() {
		name := yaml.GetValue(yaml.NewRNode(e).Field("name").Value)
		for _, img := range used {
			if imageName(img) == name {
				return fmt.Errorf("%s: images[%d]: %q also rewrites the generated %s-primary, so primary and canary would run the same version: set the image in the %s %s instead (for Flux image automation, put the $imagepolicy marker on its image line)",
					kpath, i, name, target.GetName(), target.GetKind(), target.GetName())
			}
		}
	}
	return nil
}

// containerImages lists the images of a workload's containers.
func containerImages(w *yaml.RNode) []string {
	var out []string
	for _, list := range [][]string{{"spec", "template", "spec", "containers"}, {"spec", "template", "spec", "initContainers"}} {
		cs, err := w.Pipe(yaml.Lookup(list...))
		if err != nil || cs == nil {
			continue
		}
		for _, c := range cs.Content() {
			if f := yaml.NewRNode(c).Field("image"); f != nil {
				out = append(out, yaml.GetValue(f.Value))
			}
		}
	}
	return out
}

// imageName strips the tag and digest from an image reference.
func imageName(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}
