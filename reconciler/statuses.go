package reconciler

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// The outcome where the developer looks: the commit that triggered a
// rollout (the CI change) gets a commit status gitcanary/<name>.<namespace>:
// pending with the weight and the step while the analysis runs, then
// success ("promoted in 4m12s") or failure ("rolled back: success rate
// 78.99% < 99%"). It is set once per transition, after the push; a failed
// call is retried on the next pass and never holds the rollout.

// maxTriggerLog bounds the history searched for a rollout's trigger.
const maxTriggerLog = 500

// startsRollout reports whether a transition from st to next starts a
// rollout of a revision (new, restarted, or confirmed after waiting).
func startsRollout(st, next api.Status) bool {
	return next.Phase.Active() && (!st.Phase.Active() || next.LastAppliedSpec != st.LastAppliedSpec)
}

// triggerCommit returns the newest first-parent commit, from head back,
// that changed the target's inputs (paths): the change that made the
// revision. head itself when none is found nearby.
func (r *Reconciler) triggerCommit(ctx context.Context, head plumbing.Hash, paths []string) plumbing.Hash {
	found, n := head, 0
	_ = r.repo.Log(ctx, head, func(c *object.Commit) error {
		if n++; n > maxTriggerLog || len(c.ParentHashes) == 0 {
			return gitops.ErrStopLog
		}
		cur, err := r.repo.Snapshot(c.Hash)
		if err != nil {
			return gitops.ErrStopLog
		}
		parent, err := r.repo.Snapshot(c.ParentHashes[0])
		if err != nil {
			return gitops.ErrStopLog
		}
		if cur.Digest(paths, nil) != parent.Digest(paths, nil) {
			found = c.Hash
			return gitops.ErrStopLog
		}
		return nil
	})
	return found
}

// commitStatus is a status to set on a rollout's trigger commit.
type commitStatus struct {
	sha, state, description, url string
}

// statusContext is the commit status context of a canary.
func statusContext(c *api.Canary) string { return "gitcanary/" + c.Key() }

// statusOf is the commit status a pushed transition sets, if any.
func (r *Reconciler) statusOf(t transition) (commitStatus, bool) {
	ro := t.status.Rollout
	if ro == nil || ro.Commit == "" || len(t.events) == 0 {
		return commitStatus{}, false
	}
	cs := commitStatus{sha: ro.Commit}
	if r.opts.UIURL != "" {
		cs.url = strings.TrimSuffix(r.opts.UIURL, "/") + "/canaries/" + t.canary.Metadata.Namespace + "/" + t.canary.Metadata.Name
	}
	switch t.status.Phase {
	case api.PhaseSucceeded:
		cs.state = "success"
		cs.description = "promoted in " + t.status.LastTransitionTime.Sub(ro.Started).Round(time.Second).String()
	case api.PhaseFailed:
		cs.state = "failure"
		cs.description = "rolled back: " + reason(t.canary, t.status.LastFailure, t.events[0].Text)
	default:
		cs.state = "pending"
		cs.description = fmt.Sprintf("%s, canary weight %d%%: %s", t.status.Phase, t.status.CanaryWeight, t.events[0].Text)
	}
	return cs, true
}

// reason shortens a failure for a status: "Halt podinfo.test advancement
// success rate 78.99% < 99%" says "success rate 78.99% < 99%".
func reason(c *api.Canary, failure, event string) string {
	if failure == "" {
		failure = event
	}
	failure = strings.TrimPrefix(failure, "Halt "+c.Key()+" advancement ")
	failure = strings.TrimPrefix(failure, "Rolling back "+c.Key()+" ")
	s, _ := subject(failure)
	return s
}

// reportStatuses queues the commit statuses of the pushed transitions and
// sets every queued one; those GitHub refuses stay queued for the next pass
// (a newer transition of the same canary replaces its queued status).
func (r *Reconciler) reportStatuses(ctx context.Context, done []transition) {
	if r.forge == nil {
		return
	}
	for _, t := range done {
		if cs, ok := r.statusOf(t); ok {
			r.statuses[t.canary.ID()] = cs
			r.statusCanary[t.canary.ID()] = t.canary
		}
	}
	for id, cs := range r.statuses {
		c := r.statusCanary[id]
		if err := r.forge.SetCommitStatus(ctx, cs.sha, cs.state, statusContext(c), cs.description, cs.url); err != nil {
			r.log.Error(err, "commit status: retried next pass", "canary", c.Key(), "commit", cs.sha)
			continue
		}
		delete(r.statuses, id)
		delete(r.statusCanary, id)
	}
}
