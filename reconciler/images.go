package reconciler

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/templates"
)

// The primary's containers run under placeholder image names in Git, and
// the canary's images transformer (templates.ImagesFile), listed under the
// app kustomization's transformers:, gives them their real names back.
// Kustomize runs it after the kustomization's images: entries, so an entry
// CI bumps there (an overlay's `kustomize edit set image`) reaches the
// canary only.

// imagesEntry is the app kustomization's transformers: entry of the
// canary's images transformer, relative to the app's folder.
func imagesEntry(c *api.Canary) string {
	return path.Join(GeneratedDir, c.Metadata.Name, templates.ImagesFile)
}

// imagesEdits writes the images transformer of a new primary.yaml and wires
// it into the app's kustomization kdata (at kpath), or removes both when
// the primary has no placeholder (a HelmRelease's).
func imagesEdits(fsys *gitops.FS, in templates.Input, primary []byte, kpath string, kdata []byte, set func(string, []byte)) error {
	c := in.Canary
	file := path.Join(componentDir(c), templates.ImagesFile)
	images, err := templates.Images(in, primary)
	if err != nil {
		return fmt.Errorf("%s: %w", path.Join(componentDir(c), templates.PrimaryFile), err)
	}
	edit := wireEntry
	if images == nil {
		edit = unwireEntry
	}
	out, changed, err := edit(kpath, kdata, transformersField, imagesEntry(c))
	if err != nil {
		return err
	}
	if _, err := fsys.ReadFile(file); images != nil || err == nil {
		set(file, images)
	}
	if changed {
		set(kpath, out)
	}
	return nil
}

// checkPrimaryImages checks that the rendered primary runs the real images
// of primary.yaml (as fsys holds it), with their tags and digests: nothing
// applied after the canary's images transformer may rewrite them.
func checkPrimaryImages(fsys *gitops.FS, c *api.Canary, in templates.Input, objs []*yaml.RNode) error {
	file := path.Join(componentDir(c), templates.PrimaryFile)
	data, err := fsys.ReadFile(file)
	if err != nil {
		return nil // verifyRender reports a missing primary
	}
	docs, err := readDocs(data)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	kind := c.Spec.TargetRef.Kind
	var want []string
	for _, d := range docs {
		if d.GetKind() == kind {
			for _, img := range templates.ContainerImages(d) {
				want = append(want, templates.RealImage(img))
			}
			break
		}
	}
	name := templates.PrimaryName(in)
	p := findObject(objs, kind, name, c.Metadata.Namespace)
	if want == nil || p == nil {
		return nil // a HelmRelease primary: its chart sets the images
	}
	if got := templates.ContainerImages(p); !slices.Equal(got, want) {
		return fmt.Errorf("rendered %s %s runs %s, but %s holds %s: %s: transformers: an entry after %q rewrites the primary's images: list it before gitcanary's",
			kind, name, strings.Join(got, ", "), file, strings.Join(want, ", "), kustomizationIn(fsys, c.Source.AppDir), imagesEntry(c))
	}
	return nil
}

// checkIncludingImages refuses an images: entry matching the target's
// containers in a kustomization further up, between the folder the Flux
// Kustomization pb applies and the app's own: Kustomize runs it after the
// app's transformers, gitcanary's included, so it would rewrite the
// generated primary too; and gitcanary edits only the app's folder, so it
// could not revert a release made there.
func checkIncludingImages(fsys *gitops.FS, c *api.Canary, pb *postBuild, target *yaml.RNode) error {
	if pb == nil || pb.k.Path == c.Source.AppDir {
		return nil
	}
	used := map[string]bool{}
	for _, img := range templates.ContainerImages(target) {
		used[templates.ImageName(img)] = true
	}
	for dir := path.Dir(c.Source.AppDir); inDir(pb.k.Path, dir) || dir == pb.k.Path; dir = path.Dir(dir) {
		kpath := kustomizationIn(fsys, dir)
		if data, err := fsys.ReadFile(kpath); err == nil {
			if k, err := yaml.Parse(string(data)); err == nil {
				var entries []*yaml.Node
				if images, _ := k.Pipe(yaml.Lookup("images")); images != nil {
					entries = images.Content()
				}
				for i, e := range entries {
					if name := yaml.GetValue(yaml.NewRNode(e).Field("name").Value); used[name] {
						return fmt.Errorf("%s: images[%d]: %q would also rewrite the generated %s-primary: Flux Kustomization %s applies %s, whose transformers run after those of %s; set the image in %s instead",
							kpath, i, name, target.GetName(), pb.k.ID, cmp.Or(pb.k.Path, "."), c.Source.AppDir, kustomizationIn(fsys, c.Source.AppDir))
					}
				}
			}
		}
		if dir == "." || dir == pb.k.Path {
			break
		}
	}
	return nil
}
