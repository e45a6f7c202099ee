package reconciler

import (
	"bytes"
	"fmt"
	"path"

	"github.com/go-git/go-git/v5/plumbing"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/templates"
)

// Files gitcanary keeps in a canary's generated folder besides the
// component: neither is a Kubernetes object, neither is rendered.
const (
	StatusFile  = "status.yaml"
	RequestFile = "request.yaml"
)

// edits turns a decision into file changes: the generated component, the
// status, and the user's files where the decision says so (wiring the
// component in at initialization, reverting the target on rollback).
func (r *Reconciler) edits(snap *gitops.Snapshot, fsys *gitops.FS, c *api.Canary, st api.Status, ob *observed, d Decision) (map[string][]byte, error) {
	changes := map[string][]byte{}
	set := func(p string, data []byte) {
		if cur, err := fsys.ReadFile(p); err == nil && bytes.Equal(cur, data) {
			return
		}
		changes[p] = data
	}
	dir := componentDir(c)
	if st.Phase == "" {
		kpath := kustomizationPath(snap, c.Source.AppDir)
		if kpath == "" {
			return nil, fmt.Errorf("%s: no kustomization.yaml", c.Source.AppDir)
		}
		data, err := fsys.ReadFile(kpath)
		if err != nil {
			return nil, err
		}
		rel := path.Join(GeneratedDir, c.Metadata.Name)
		out, changed, err := wireComponent(kpath, data, rel)
		if err != nil {
			return nil, err
		}
		if changed {
			set(kpath, out)
		}
	}
	if d.RevertTarget {
		promoted, err := r.repo.Snapshot(plumbing.NewHash(st.LastPromotedCommit))
		if err != nil {
			return nil, fmt.Errorf("reading the promoted commit %s to revert the target: %w", st.LastPromotedCommit, err)
		}
		configs := map[string]bool{}
		for k := range st.TrackedConfigs {
			configs[k] = true
		}
		rev, err := revertInputs(fsys, promoted, ob.paths, revertSet{target: c.Spec.TargetRef.Name, configs: configs})
		if err != nil {
			return nil, err
		}
		for p, data := range rev {
			set(p, data)
		}
	}

	primary := path.Join(dir, templates.PrimaryFile)
	if _, err := fsys.ReadFile(primary); d.CopyPrimary || err != nil {
		data, err := templates.Primary(ob.in)
		if err != nil {
			return nil, err
		}
		set(primary, data)
	}
	files, err := templates.Component(ob.in, routing(d.Status), templates.Options{ScaleDown: scaledDown(d.Status), IngressAnnotationsPrefix: r.opts.IngressAnnotationsPrefix})
	if err != nil {
		return nil, err
	}
	for name, data := range files {
		set(path.Join(dir, name), data)
	}
	// Remove generated files this step no longer has (the scale-down patch
	// while a canary runs).
	entries, _ := fsys.ReadDir(path.Join(gitops.FSRoot, dir))
	for _, e := range entries {
		if _, keep := files[e]; !keep && e != templates.PrimaryFile && e != StatusFile && e != RequestFile {
			changes[path.Join(dir, e)] = nil
		}
	}

	next := d.Status
	next.Inputs = &api.Inputs{Paths: ob.paths, Digest: inputsDigest(snap, merged(fsys.Changes(), changes), ob.paths)}
	status, err := api.MarshalStatus(c, next)
	if err != nil {
		return nil, err
	}
	set(path.Join(dir, StatusFile), status)
	return changes, nil
}

func merged(a, b map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// scaledDown reports whether the canary (the target) runs no pods in this
// status: while no rollout runs, and while a new revision waits for the
// approval to start (the Waiting phase).
func scaledDown(st api.Status) bool {
	return !st.Phase.Active() || st.Phase == api.PhaseWaiting
}

// routing is the traffic split a status stands for.
func routing(st api.Status) templates.Routing {
	return templates.Routing{PrimaryWeight: 100 - st.CanaryWeight, CanaryWeight: st.CanaryWeight}
}

// verifyRender checks a commit's rendered app: it must hold the primary, the
// router at the decided weights (read back by the provider's router) and the
// canary scaled as decided.
func verifyRender(objs []*yaml.RNode, c *api.Canary, st api.Status) error {
	ns := c.Metadata.Namespace
	target := c.Spec.TargetRef
	if findObject(objs, target.Kind, target.Name+"-primary", ns) == nil {
		return fmt.Errorf("rendered output lacks %s %s-primary", target.Kind, target.Name)
	}
	t := findObject(objs, target.Kind, target.Name, ns)
	if t == nil {
		return fmt.Errorf("rendered output lacks the target %s %s", target.Kind, target.Name)
	}
	replicas, _ := t.Pipe(yaml.Lookup("spec", "replicas"))
	isZero := replicas != nil && replicas.YNode().Value == "0"
	if want := scaledDown(st); isZero != want {
		return fmt.Errorf("rendered %s %s: scaled to zero = %v, want %v", target.Kind, target.Name, isZero, want)
	}
	return templates.CheckRouting(objs, c, routing(st))
}
