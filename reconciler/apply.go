package reconciler

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/machine"
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
// component in at initialization, and the images transformer with each new
// primary; reverting the target on rollback).
//
// It completes d's status with what the commit leaves: the revision a
// revert really restored, and the inputs digest that lets an idle canary
// skip its render. The digest is recorded only when the commit leaves the
// target at a revision the status knows (applied or promoted): a release
// pushed while a rollout completes is a new revision, never absorbed.
func (r *Reconciler) edits(ctx context.Context, snap *gitops.Snapshot, fsys *gitops.FS, c *api.Canary, st api.Status, ob *observed, d *machine.Decision) (map[string][]byte, error) {
	changes := map[string][]byte{}
	set := func(p string, data []byte) {
		if cur, err := fsys.ReadFile(p); err == nil && bytes.Equal(cur, data) {
			return
		}
		changes[p] = data
	}
	dir := componentDir(c)
	kpath := kustomizationIn(fsys, c.Source.AppDir)
	kdata, kerr := fsys.ReadFile(kpath)
	if st.Phase == "" {
		if kerr != nil {
			return nil, fmt.Errorf("%s: no kustomization.yaml", c.Source.AppDir)
		}
		rel := path.Join(GeneratedDir, c.Metadata.Name)
		out, changed, err := wireComponent(kpath, kdata, rel)
		if err != nil {
			return nil, err
		}
		if changed {
			set(kpath, out)
		}
	}
	if d.RevertTarget {
		promoted, why := r.promotedSnapshot(c, st, snap)
		if promoted == nil {
			// Traffic goes back to the primary all the same; the target's
			// inputs stay as they are, and that revision is not retried.
			d.RevertTarget = false
			d.Status.LastAppliedSpec = ob.revision
			d.Body = append(d.Body, "Not reverted: "+why)
		} else {
			var tracked []templates.ConfigRef
			for k := range st.TrackedConfigs {
				kind, name, _ := strings.Cut(k, "/")
				tracked = append(tracked, templates.ConfigRef{Kind: kind, Name: name})
			}
			inputs, err := templates.Inputs(ob.in, tracked)
			if err != nil {
				return nil, err
			}
			rev, outside, err := revertInputs(fsys, promoted, c.Source.AppDir, ob.paths, inputs)
			if err != nil {
				return nil, err
			}
			for p, data := range rev {
				set(p, data)
			}
			for _, p := range outside {
				d.Body = append(d.Body, fmt.Sprintf("Not reverted: %s changed since the promotion but lies outside %s, the folder of this canary; a file there (a shared base) may serve other apps. Put it back there, or make releases in the canary's own folder (an overlay patch) so that rollbacks revert them.", p, c.Source.AppDir))
			}
		}
	}

	primary := path.Join(dir, templates.PrimaryFile)
	if _, err := fsys.ReadFile(primary); d.CopyPrimary || err != nil {
		data, err := templates.Primary(ob.in)
		if err != nil {
			return nil, inReleaseFile(fsys, ob, err)
		}
		set(primary, data)
		if kerr == nil {
			if edited, ok := changes[kpath]; ok {
				kdata = edited // wired or reverted above
			}
			if err := imagesEdits(fsys, ob.in, data, kpath, kdata, set); err != nil {
				return nil, err
			}
		}
	}
	files, err := templates.Component(ob.in, routing(c, d.Status), templates.Options{ScaleDown: scaledDown(d.Status), IngressAnnotationsPrefix: r.opts.IngressAnnotationsPrefix})
	if err != nil {
		return nil, inReleaseFile(fsys, ob, err)
	}
	for name, data := range files {
		set(path.Join(dir, name), data)
	}
	// Remove generated files this step no longer has (the scale-down patch
	// while a canary runs).
	entries, _ := fsys.ReadDir(path.Join(gitops.FSRoot, dir))
	for _, e := range entries {
		if _, keep := files[e]; !keep && e != templates.PrimaryFile && e != templates.ImagesFile && e != StatusFile && e != RequestFile {
			changes[path.Join(dir, e)] = nil
		}
	}

	next := d.Status
	rev, paths := ob.revision, ob.paths
	if d.RevertTarget {
		// What the target renders as once reverted: the promoted revision,
		// unless an input cannot be put back (see revertInputs).
		after, err := observe(ctx, snap, fork(snap, fsys, changes), c, ob.pb, ob.sources)
		if err != nil {
			return nil, fmt.Errorf("the reverted target: %w", err)
		}
		rev, paths = after.revision, after.paths
		if rev != st.LastPromotedSpec {
			next.LastAppliedSpec = rev
			d.Body = append(d.Body, fmt.Sprintf("The revert leaves the target at revision %s, not at the promoted %s: an input changed since the promotion could not be put back.", rev, st.LastPromotedSpec))
		}
	}
	next.Inputs = nil
	if snap != nil && (rev == next.LastAppliedSpec || rev == next.LastPromotedSpec) {
		next.Inputs = &api.Inputs{Paths: paths, Digest: inputsDigest(snap, merged(fsys.Changes(), changes), paths)}
	}
	d.Status = next
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

// routing is the traffic split a status stands for: its weights and
// mirroring, the canary's A/B rule (spec.analysis.match), and with session
// affinity the status's cookies.
func routing(c *api.Canary, st api.Status) templates.Routing {
	r := templates.Routing{PrimaryWeight: 100 - st.CanaryWeight, CanaryWeight: st.CanaryWeight, Mirror: st.Mirrored}
	a := c.Spec.Analysis
	if a == nil {
		return r
	}
	if st.Mirrored {
		r.MirrorWeight = a.MirrorWeight
	}
	r.Match = a.Match
	if sa := a.SessionAffinity; sa != nil {
		r.Cookie = &templates.Cookie{
			Canary:     st.SessionAffinityCookie,
			Attributes: sa.Attributes(sa.MaxAge),
			// Flagger's primary cookie lives one analysis interval.
			Primary:           st.PrimarySessionAffinityCookie,
			PrimaryAttributes: sa.Attributes(int(a.Interval.Seconds())),
			Previous:          st.PreviousSessionAffinityCookie,
		}
	}
	return r
}

// verifyRender checks a commit's rendered app: it must hold the primary, the
// router at the decided weights, mirroring, A/B rule and cookie (read back
// by the provider's router) and the canary scaled as decided.
func verifyRender(objs []*yaml.RNode, in templates.Input, st api.Status) error {
	c := in.Canary
	ns := c.Metadata.Namespace
	target := c.Spec.TargetRef
	if p := templates.PrimaryName(in); findObject(objs, target.Kind, p, ns) == nil {
		return fmt.Errorf("rendered output lacks %s %s", target.Kind, p)
	}
	t := findObject(objs, target.Kind, target.Name, ns)
	if t == nil {
		return fmt.Errorf("rendered output lacks the target %s %s", target.Kind, target.Name)
	}
	isZero, err := templates.ScaledDown(in, t)
	if err != nil {
		return err
	}
	if want := scaledDown(st); isZero != want {
		return fmt.Errorf("rendered %s %s: scaled to zero = %v, want %v", target.Kind, target.Name, isZero, want)
	}
	return templates.CheckRouting(templates.RoutingView(in, objs), c, routing(c, st))
}

// hasRouter reports whether the canary's provider routes traffic (every
// one but kubernetes, see templates.Provider.HasRouter).
func hasRouter(c *api.Canary) bool {
	p, err := templates.Lookup(c.Spec.Provider)
	return err != nil || p.HasRouter()
}

// maxPromotedLog bounds the history searched for a promoted commit.
const maxPromotedLog = 5000

// promotedSnapshot returns the tree a rollback reverts the target to: the
// status's LastPromotedCommit, or, when a history rewrite removed it (a
// force-push that took out a leaked secret), the newest commit of the
// canary's history whose transition left LastPromotedSpec promoted. Nil
// and the reason when there is none.
func (r *Reconciler) promotedSnapshot(c *api.Canary, st api.Status, head *gitops.Snapshot) (*gitops.Snapshot, string) {
	if r.repo == nil || head == nil {
		return nil, "no history to revert from"
	}
	if s, err := r.repo.Snapshot(plumbing.NewHash(st.LastPromotedCommit)); err == nil {
		return s, ""
	}
	var found plumbing.Hash
	n := 0
	_ = r.repo.Log(context.Background(), head.Commit(), func(cm *object.Commit) error {
		if n++; n > maxPromotedLog {
			return gitops.ErrStopLog
		}
		t, ok := transitionOf(cm, c.ID())
		if ok && t.Revision == st.LastPromotedSpec && (t.Phase == api.PhaseSucceeded || t.Phase == api.PhaseInitialized) {
			found = cm.Hash
			return gitops.ErrStopLog
		}
		return nil
	})
	if !found.IsZero() {
		if s, err := r.repo.Snapshot(found); err == nil {
			r.log.Info("the promoted commit is gone from the history; reverting to the last commit that promoted the revision", "canary", c.Key(), "missing", st.LastPromotedCommit, "commit", found.String())
			return s, ""
		}
	}
	return nil, fmt.Sprintf("the promoted commit %s is no longer in the repository (was the history rewritten?) and no commit of the branch promoted revision %s: put the target's inputs back by hand", st.LastPromotedCommit, st.LastPromotedSpec)
}
