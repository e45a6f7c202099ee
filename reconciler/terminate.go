package reconciler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-logr/logr"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/machine"
	"github.com/gitcanary/gitcanary/templates"
)

// deletedCanary is a generated folder whose Canary document is gone: the
// canary as its last known spec and its status.
type deletedCanary struct {
	status     api.Status
	statusPath string
}

// deletedCanaries finds the generated folders of the scan whose Canary
// document is gone from the tree, each with the Canary as the newest
// commit of the branch held it. present are the canaries the scan read
// (valid or not): their folders are not orphans.
func (r *Reconciler) deletedCanaries(ctx context.Context, snap *gitops.Snapshot, present []*api.Canary) (map[*api.Canary]deletedCanary, []error) {
	claimed := map[string]bool{}
	for _, c := range present {
		claimed[componentDir(c)] = true
	}
	out := map[*api.Canary]deletedCanary{}
	var errs []error
	for _, p := range r.scanner.statuses {
		dir := path.Dir(p)
		if claimed[dir] {
			delete(r.settled, p)
			continue
		}
		blob, _ := snap.BlobHash(p)
		if b, ok := r.settled[p]; ok && b == blob {
			continue
		}
		data, err := snap.ReadFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		md, st, err := api.UnmarshalStatusOf(p, data, r.now())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		id := md.Namespace + "/" + md.Name
		appDir := path.Dir(path.Dir(dir))
		if c, unsure := canaryIn(snap, appDir, id, r.opts.Provider); c != nil || unsure {
			// Its document is there but did not make a canary (invalid,
			// in conflict): that error is reported, nothing is deleted.
			continue
		}
		c, err := r.lastKnown(ctx, snap, appDir, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("canary %s: its Canary document is gone: %w", id, err))
			continue
		}
		if c == nil {
			r.log.Info("warning: the Canary document is gone and no commit of the branch holds it: gitcanary leaves its generated folder as it is; remove "+dir+" and its components and transformers entries from the app's kustomization to hand the app back", "canary", md.Name+"."+md.Namespace)
			r.settled[p] = blob
			continue
		}
		if path.Join(c.Source.AppDir, GeneratedDir, c.Metadata.Name) != dir || !r.inShard(c) {
			r.settled[p] = blob // another shard's, or not this folder's canary
			continue
		}
		out[c] = deletedCanary{status: st, statusPath: p}
	}
	return out, errs
}

// canaryIn returns the Canary id among the documents under appDir (outside
// generated folders and chart templates); unsure is set when a document
// that may be one does not parse.
func canaryIn(snap *gitops.Snapshot, appDir, id, provider string) (found *api.Canary, unsure bool) {
	fsys := gitops.NewFS(snap)
	root := path.Join(gitops.FSRoot, appDir)
	_ = fsys.Walk(root, func(fp string, info fs.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		p := strings.TrimPrefix(fp, gitops.FSRoot)
		if !isYAML(p) || isGenerated(p) || inChartTemplates(snap, p) {
			return nil
		}
		data, err := snap.ReadFile(p)
		if err != nil || !api.LooksLikeCanary(data) {
			return nil
		}
		cs, err := api.ParseCanaries(p, data, provider)
		for _, c := range cs {
			if c.ID() == id {
				c.Source.Path = p
				c.Source.AppDir = appDir
				found = c
				return fs.SkipAll
			}
		}
		unsure = unsure || err != nil
		return nil
	})
	return found, unsure && found == nil
}

// lastKnown returns the Canary id as the newest commit of the branch (from
// head, first parents) whose appDir held it had it, or nil when none of
// the last maxPromotedLog commits did.
func (r *Reconciler) lastKnown(ctx context.Context, head *gitops.Snapshot, appDir, id string) (*api.Canary, error) {
	var found *api.Canary
	var seen plumbing.Hash
	n := 0
	err := r.repo.Log(ctx, head.Commit(), func(cm *object.Commit) error {
		if n++; n > maxPromotedLog {
			return gitops.ErrStopLog
		}
		snap, err := r.repo.Snapshot(cm.Hash)
		if err != nil {
			return err
		}
		tree, ok := snap.TreeHash(appDir)
		if !ok || tree == seen {
			return nil
		}
		seen = tree
		if c, _ := canaryIn(snap, appDir, id, r.opts.Provider); c != nil {
			found = c
			return gitops.ErrStopLog
		}
		return nil
	})
	if err != nil && !errors.Is(err, gitops.ErrStopLog) {
		return nil, err
	}
	return found, nil
}

// terminate decides a deleted canary: with revertOnDeletion, the changes
// that hand the app back to its owner (render-checked); without, nothing,
// said once.
func (r *Reconciler) terminate(ctx context.Context, log logr.Logger, snap *gitops.Snapshot, fsys *gitops.FS, c *api.Canary, del deletedCanary, head plumbing.Hash) (map[string][]byte, decided, error) {
	obs := machine.Observation{Deleted: true, Revision: del.status.LastAppliedSpec, Head: head.String(), Now: r.now()}
	d := decided{Decision: machine.Decide(c, del.status, obs), from: del.status.Phase}
	if !d.Commit {
		log.Info("warning: the Canary document is gone and spec.revertOnDeletion was not set: gitcanary stops acting on it and leaves "+componentDir(c)+" as the last commit left it (phase "+string(del.status.Phase)+", canary weight "+fmt.Sprint(del.status.CanaryWeight)+"); to hand the app back, put the Canary back with revertOnDeletion: true and delete it again", "deleted", c.Source.Path)
		blob, _ := snap.BlobHash(del.statusPath)
		r.settled[del.statusPath] = blob
		return nil, d, nil
	}
	// The app as its owner wrote it, without the component.
	ob, err := r.observe(ctx, snap, fsys, c)
	if err != nil {
		return nil, d, err
	}
	changes, err := unwired(fsys, c)
	if err != nil {
		return nil, d, err
	}
	if err := terminationCheck(ctx, snap, fsys, c, ob, changes); err != nil {
		return nil, d, err
	}
	return changes, d, nil
}

// unwired removes the canary's generated folder and its components and
// transformers entries from the app's kustomization: everything gitcanary
// wrote for it. What rollbacks reverted in the user's files stays: that is
// the promoted state.
func unwired(fsys *gitops.FS, c *api.Canary) (map[string][]byte, error) {
	changes := map[string][]byte{}
	err := fsys.Walk(path.Join(gitops.FSRoot, componentDir(c)), func(fp string, info fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.IsDir() {
			changes[strings.TrimPrefix(fp, gitops.FSRoot)] = nil
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", componentDir(c), err)
	}
	kpath := kustomizationIn(fsys, c.Source.AppDir)
	data, err := fsys.ReadFile(kpath)
	if err != nil {
		return nil, fmt.Errorf("%s: no kustomization.yaml", c.Source.AppDir)
	}
	out := data
	for _, e := range []struct{ field, entry string }{
		{componentsField, path.Join(GeneratedDir, c.Metadata.Name)},
		{transformersField, imagesEntry(c)},
	} {
		if out, _, err = unwireEntry(kpath, out, e.field, e.entry); err != nil {
			return nil, err
		}
	}
	if !bytes.Equal(out, data) {
		changes[kpath] = out
	}
	return changes, nil
}

// terminationCheck renders the app as the termination commit leaves it: the
// target must be there and not scaled to zero, and nothing of the
// component (the primary) may remain.
func terminationCheck(ctx context.Context, snap *gitops.Snapshot, fsys *gitops.FS, c *api.Canary, ob *observed, changes map[string][]byte) error {
	objs, err := renderAfter(ctx, snap, fsys, c, ob, changes)
	if err != nil {
		return err
	}
	ref, ns := c.Spec.TargetRef, c.Metadata.Namespace
	t := findObject(objs, ref.Kind, ref.Name, ns)
	if t == nil {
		return fmt.Errorf("render check of %s: rendered output lacks the target %s %s", c.Source.AppDir, ref.Kind, ref.Name)
	}
	if zero, err := templates.ScaledDown(ob.in, t); err != nil || zero {
		return fmt.Errorf("render check of %s: the target %s %s is still scaled to zero (%v)", c.Source.AppDir, ref.Kind, ref.Name, err)
	}
	if p := findObject(objs, ref.Kind, templates.PrimaryName(ob.in), ns); p != nil {
		return fmt.Errorf("render check of %s: %s %s remains", c.Source.AppDir, ref.Kind, p.GetName())
	}
	return nil
}
