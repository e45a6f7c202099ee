package reconciler

import (
	"bytes"
	"context"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/templates"
)

// helmSourceGroup is the API group of Flux's sources.
const helmSourceGroup = "source.toolkit.fluxcd.io/"

// helmSources returns the Flux sources a HelmRelease may name
// (HelmRepository, HelmChart, OCIRepository, GitRepository) in a file.
func helmSources(data []byte) []*yaml.RNode {
	docs, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil
	}
	var out []*yaml.RNode
	for _, d := range docs {
		if gitops.IsHelmSource(d) {
			out = append(out, d)
		}
	}
	return out
}

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
