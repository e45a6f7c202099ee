package reconciler

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"path"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/templates"
)

// helmSourceGroup is the API group of Flux's sources.
const helmSourceGroup = "source.toolkit.fluxcd.io/"

// helmEnv is where the HelmReleases of an app find their charts and
// values: the repository and the app's objects, with the Flux sources of
// the whole repository.
func helmEnv(fsys *gitops.FS, objs, sources []*yaml.RNode) gitops.HelmEnv {
	return gitops.HelmEnv{FS: fsys, Objects: append(append([]*yaml.RNode(nil), objs...), sources...)}
}

// expandReleases returns objs with what each HelmRelease among them
// renders appended: what Flux's helm-controller applies.
func expandReleases(ctx context.Context, env gitops.HelmEnv, objs []*yaml.RNode) ([]*yaml.RNode, error) {
	out := objs
	err := eachRelease(ctx, env, objs, func(_ *yaml.RNode, r *gitops.HelmRender) bool {
		out = append(out, r.Objects...)
		return true
	})
	return out, err
}

// eachRelease renders each HelmRelease among objs and hands it to fn,
// until fn returns false.
func eachRelease(ctx context.Context, env gitops.HelmEnv, objs []*yaml.RNode, fn func(hr *yaml.RNode, r *gitops.HelmRender) bool) error {
	for _, o := range objs {
		if !gitops.IsHelmRelease(o) {
			continue
		}
		r, err := gitops.RenderHelm(ctx, env, o)
		if err != nil {
			return err
		}
		if !fn(o, r) {
			return nil
		}
	}
	return nil
}

// releaseOf finds the HelmRelease of the app whose chart renders the
// target kind/name in namespace ns, and returns it rendered; nil when none
// does.
func releaseOf(ctx context.Context, env gitops.HelmEnv, objs []*yaml.RNode, kind, name, ns string) (*templates.Release, error) {
	var rel *templates.Release
	err := eachRelease(ctx, env, objs, func(o *yaml.RNode, r *gitops.HelmRender) bool {
		if findObject(r.Objects, kind, name, ns) == nil {
			return true
		}
		rel = &templates.Release{Object: o, Name: r.ReleaseName, Values: r.Values, Version: r.Version, Objects: r.Objects,
			Render: templates.ReleaseRendererFunc(func(hr *yaml.RNode) ([]*yaml.RNode, error) {
				p, err := gitops.RenderHelm(ctx, env, hr)
				if err != nil {
					return nil, err
				}
				return p.Objects, nil
			})}
		return false
	})
	return rel, err
}

// helmReleases returns the names of the HelmReleases in a file.
func helmReleases(data []byte) []string {
	docs, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil
	}
	var out []string
	for _, d := range docs {
		if gitops.IsHelmRelease(d) {
			out = append(out, d.GetName())
		}
	}
	return out
}

// inReleaseFile prefixes an error of generating the objects of a
// HelmRelease target (a chart that does not follow what gitcanary needs)
// with the file and document of the user's HelmRelease, found among the
// files the app's render read.
func inReleaseFile(fsys *gitops.FS, ob *observed, err error) error {
	if err == nil || ob.in.Release == nil {
		return err
	}
	hr := ob.in.Release.Object
	for _, p := range ob.paths {
		data, rerr := fsys.ReadFile(p)
		if rerr != nil || !isYAML(p) || !bytes.Contains(data, []byte(templates.KindHelmRelease)) {
			continue
		}
		docs, rerr := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
		if rerr != nil {
			continue
		}
		for i, d := range docs {
			if gitops.IsHelmRelease(d) && d.GetName() == hr.GetName() {
				return fmt.Errorf("%s: %w", api.Source{Path: p, Index: i}, err)
			}
		}
	}
	return err
}

// chartCanaries finds the Canaries that charts carry (a chart's
// templates/canary.yaml, as in Flagger's "Canaries with Helm charts and
// GitOps" tutorial): the app of each file holding HelmReleases is
// rendered, its HelmReleases with it, and a Canary among what one renders
// is read as a document of the HelmRelease's file (rendered without
// post-renderers, gitcanary's among them). A release whose chart
// cannot be rendered is an error: it may carry a Canary.
func (s *scanner) chartCanaries(snap tree, releases map[string][]string) ([]*api.Canary, []error) {
	if len(releases) == 0 {
		return nil, nil
	}
	ctx := context.Background()
	fsys := treeFS(snap)
	rendered := map[string][]*yaml.RNode{} // by app directory
	var out []*api.Canary
	var errs []error
	for _, p := range slices.Sorted(maps.Keys(releases)) {
		dir, ok := appDir(snap, path.Dir(p))
		if !ok {
			continue // not applied by a Flux Kustomization gitcanary can read
		}
		objs, seen := rendered[dir]
		if !seen {
			var err error
			if objs, err = gitops.Render(fsys, dir); err != nil {
				objs = nil // the app's own canaries report it
			}
			rendered[dir] = objs
		}
		for _, o := range objs {
			if !gitops.IsHelmRelease(o) || !slices.Contains(releases[p], o.GetName()) {
				continue
			}
			// Without post-renderers: gitcanary's own remove the Canary
			// from what Flux applies.
			hr := o.Copy()
			if err := hr.PipeE(yaml.Lookup("spec"), yaml.Clear("postRenderers")); err != nil {
				errs = append(errs, err)
				continue
			}
			r, err := gitops.RenderHelm(ctx, helmEnv(fsys, objs, s.sources), hr)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: looking for a Canary its chart carries: %w", p, err))
				continue
			}
			for _, co := range r.Objects {
				if co.GetKind() != api.KindCanary {
					continue
				}
				data, err := co.MarshalJSON()
				if err != nil {
					errs = append(errs, err)
					continue
				}
				cs, err := api.ParseCanaries(p, data, s.provider)
				if err != nil {
					errs = append(errs, fmt.Errorf("the chart of HelmRelease %s/%s renders: %w", o.GetNamespace(), o.GetName(), err))
					continue
				}
				for _, c := range cs {
					c, perrs := place(snap, c)
					errs = append(errs, perrs...)
					if c != nil {
						out = append(out, c)
					}
				}
			}
		}
	}
	return out, errs
}

// treeFS is a repository tree as a file system for renders.
func treeFS(snap tree) *gitops.FS {
	if s, ok := snap.(*gitops.Snapshot); ok {
		return gitops.NewFS(s)
	}
	f := gitops.NewFS(nil)
	_ = snap.Walk(func(p string, _ plumbing.Hash) error {
		if data, err := snap.ReadFile(p); err == nil {
			f.Set(p, data)
		}
		return nil
	})
	return f
}
