package reconciler

import (
	"context"
	"fmt"
	"path"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/templates"
)

// observed is the app as its owner wrote it, without gitcanary's component.
type observed struct {
	in       templates.Input
	revision string
	tracked  map[string]string
	// paths are the files the render read, outside the generated folder.
	paths []string
	// pb is Flux's post-build substitution of the app, nil for none.
	pb *postBuild
	// sources are the Flux sources of the repository its HelmReleases may
	// name.
	sources []*yaml.RNode
	// encrypted names the SOPS-encrypted Secrets the target references:
	// never copied, and their changes are not canaried.
	encrypted []string
}

// encryptedSecrets names the SOPS-encrypted Secrets the target references
// ("Secret name"); none for a nil observation.
func (ob *observed) encryptedSecrets() []string {
	if ob == nil {
		return nil
	}
	return ob.encrypted
}

// componentDir is the generated folder of a canary.
func componentDir(c *api.Canary) string {
	return path.Join(c.Source.AppDir, GeneratedDir, c.Metadata.Name)
}

// observe renders the app without the canary's own component and finds the
// target (among the app's objects, or among what one of its HelmReleases
// renders), the configs it references, the apex Service and the
// autoscaler. In the component's place it renders a probe, to learn what
// the app's kustomization does to the component's objects
// (templates.Naming).
func observe(ctx context.Context, snap *gitops.Snapshot, fsys *gitops.FS, c *api.Canary, pb *postBuild, sources []*yaml.RNode) (*observed, error) {
	scratch := fork(snap, fsys)
	dir := componentDir(c)
	for name, data := range templates.ProbeComponent() {
		scratch.Set(path.Join(dir, name), data)
	}
	kpath := kustomizationIn(fsys, c.Source.AppDir)
	if data, err := scratch.ReadFile(kpath); err == nil {
		out, changed, err := wireComponent(kpath, data, path.Join(GeneratedDir, c.Metadata.Name))
		if err != nil {
			return nil, err
		}
		if changed {
			scratch.Set(kpath, out)
		}
	}
	built, err := gitops.Render(scratch, c.Source.AppDir)
	if err != nil {
		return nil, err
	}
	objs, err := pb.apply(built)
	if err != nil {
		return nil, err
	}
	naming, objs, err := templates.ReadProbe(objs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kpath, err)
	}
	ns := c.Metadata.Namespace
	for _, o := range objs {
		if o.GetKind() == api.KindCanary && (strings.HasPrefix(o.GetApiVersion(), "flagger.app/") || o.GetApiVersion() == api.GroupVersion) {
			return nil, fmt.Errorf("%s: %s renders Canary %s/%s: remove it from resources (Flux would try to apply it; gitcanary reads it from Git)", kpath, canaryEntry(fsys, kpath, o.GetName()), o.GetNamespace(), o.GetName())
		}
	}
	ob := &observed{in: templates.Input{Canary: c, Naming: naming}, pb: pb, sources: sources}
	ref := c.Spec.TargetRef
	ob.in.Target = findObject(objs, ref.Kind, ref.Name, ns)
	if ob.in.Target == nil {
		env := helmEnv(scratch, objs, sources)
		if ob.in.Release, err = releaseOf(ctx, env, objs, ref.Kind, ref.Name, ns); err != nil {
			return nil, fmt.Errorf("%s: spec.targetRef: %w", c.Source, err)
		}
		if ob.in.Release == nil {
			return nil, fmt.Errorf("%s: spec.targetRef: %s %s/%s not found in the rendered output of %s", c.Source, ref.Kind, ns, ref.Name, c.Source.AppDir)
		}
		// The release's objects are the app's objects too: the configs,
		// the apex Service and the autoscaler may be among them.
		objs = append(objs, ob.in.Release.Objects...)
		ob.in.Target = findObject(objs, ref.Kind, ref.Name, ns)
	} else {
		if err := pb.checkPlaceholders(c, findObject(built, ref.Kind, ref.Name, ns)); err != nil {
			return nil, fmt.Errorf("%s: spec.targetRef: %w", c.Source, err)
		}
		if err := checkIncludingImages(scratch, c, pb, ob.in.Target); err != nil { // read through scratch: the kustomizations it checks are inputs
			return nil, err
		}
	}
	if ob.in.Configs, err = templates.ReferencedConfigs(ob.in.Target, inNamespace(objs, ns)); err != nil {
		return nil, err
	}
	refs, err := templates.TrackedConfigs(ob.in.Target)
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		if o := findObject(objs, r.Kind, r.Name, ns); o != nil && templates.Encrypted(o) {
			ob.encrypted = append(ob.encrypted, r.Kind+" "+r.Name)
		}
	}
	ob.in.Apex = findObject(objs, "Service", c.Spec.Service.Name, ns)
	if a := c.Spec.AutoscalerRef; a != nil {
		ob.in.Autoscaler = findObject(objs, a.Kind, a.Name, ns)
		if ob.in.Autoscaler == nil {
			return nil, fmt.Errorf("%s: spec.autoscalerRef: %s %s/%s not found in the rendered output of %s", c.Source, a.Kind, ns, a.Name, c.Source.AppDir)
		}
	}
	if src := templates.Source(c); src != nil {
		if ob.in.Source = findObject(objs, src.Kind, src.Name, src.Namespace); ob.in.Source == nil && !src.Optional {
			return nil, fmt.Errorf("%s: %s: %s %s/%s not found in the rendered output of %s", c.Source, src.Field, src.Kind, src.Namespace, src.Name, c.Source.AppDir)
		}
	}
	if ob.revision, ob.tracked, err = revision(ob.in.Target, ob.in.Configs); err != nil {
		return nil, err
	}
	// gitcanary's own folders are no input (they appear with its first
	// commit), nor is anything in them.
	gen := componentDir(c) + "/"
	own := path.Join(c.Source.AppDir, GeneratedDir)
	for _, p := range scratch.ReadPaths() {
		if !strings.HasPrefix(p, gen) && p != own && p != own+"/" && p != componentDir(c) {
			ob.paths = append(ob.paths, p)
		}
	}
	if pb != nil {
		// The variables are inputs too: a change of one is a new revision.
		ob.paths = append(ob.paths, pb.k.Files...)
	}
	return ob, nil
}

// kustomizationIn names the kustomization file of dir as fsys shows it.
func kustomizationIn(fsys *gitops.FS, dir string) string {
	for _, name := range kustomizationFiles {
		if p := path.Join(dir, name); fsys.Exists(path.Join(gitops.FSRoot, p)) {
			return p
		}
	}
	return path.Join(dir, kustomizationFiles[0])
}

// findObject finds a rendered object by kind and name in the namespace (an
// object without one is taken to be in it, as Flux's targetNamespace does).
func findObject(objs []*yaml.RNode, kind, name, ns string) *yaml.RNode {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name && (o.GetNamespace() == "" || o.GetNamespace() == ns) {
			return o
		}
	}
	return nil
}

// inNamespace keeps the objects of namespace ns (or of none).
func inNamespace(objs []*yaml.RNode, ns string) []*yaml.RNode {
	out := make([]*yaml.RNode, 0, len(objs))
	for _, o := range objs {
		if o.GetNamespace() == "" || o.GetNamespace() == ns {
			out = append(out, o)
		}
	}
	return out
}

// fork returns a fresh FS over snap with fsys's edits and then extra's, so
// that scratch edits and read recording do not touch fsys.
func fork(snap *gitops.Snapshot, fsys *gitops.FS, extra ...map[string][]byte) *gitops.FS {
	n := gitops.NewFS(snap)
	for _, changes := range append([]map[string][]byte{fsys.Changes()}, extra...) {
		for p, d := range changes {
			if d == nil {
				n.Delete(p)
			} else {
				n.Set(p, d)
			}
		}
	}
	return n
}

// inputsDigest hashes the recorded input paths as fsys shows them (the
// snapshot plus the pass's changes), so an unchanged app is recognised
// without rendering it.
func inputsDigest(snap *gitops.Snapshot, changes map[string][]byte, paths []string) string {
	return snap.Digest(paths, changes)[:16]
}

// canaryEntry names the entry of the kustomization's resources that brings
// in the Canary name: `resources[2] "canary.yaml"`, or "resources" when no
// entry of its own does (a base brings it in).
func canaryEntry(fsys *gitops.FS, kpath, name string) string {
	data, err := fsys.ReadFile(kpath)
	if err != nil {
		return "resources"
	}
	k, err := yaml.Parse(string(data))
	if err != nil {
		return "resources"
	}
	entries, err := k.Pipe(yaml.Lookup("resources"))
	if err != nil || entries == nil {
		return "resources"
	}
	for i, e := range entries.Content() {
		file := path.Join(path.Dir(kpath), e.Value)
		b, err := fsys.ReadFile(file)
		if err != nil || !api.LooksLikeCanary(b) {
			continue
		}
		cs, _ := api.ParseCanaries(file, b, "")
		for _, c := range cs {
			if c.Metadata.Name == name {
				return fmt.Sprintf("resources[%d] %q", i, e.Value)
			}
		}
	}
	return "resources"
}
