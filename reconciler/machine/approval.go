package machine

import (
	"fmt"
	"time"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// needsApproval reports whether the canary gates gate with a pull request.
func needsApproval(c *api.Canary, gate string) bool {
	a := c.Spec.GitOps.Approval
	if a == nil {
		return false
	}
	if gate == GateRollout {
		return a.Rollout == "pullRequest"
	}
	return a.Promotion == "pullRequest"
}

// ProposalBranch is the branch of a gate's pull request.
func ProposalBranch(c *api.Canary, gate, revision string) string {
	return fmt.Sprintf("gitcanary/%s/%s/%s-%s", c.Metadata.Namespace, c.Metadata.Name, gate, revision)
}

// openGate puts a canary in front of an approval gate: the decision's
// commit sets the waiting phase and its proposal carries the transition that
// merging the pull request lands.
func (t *tick) openGate(gate string) Decision {
	wait := t.st
	rev := t.obs.Revision
	branch := ProposalBranch(t.c, gate, rev)
	wait.Approval = &api.PendingApproval{Gate: gate, Revision: rev, Branch: branch}
	var ev Event
	if gate == GateRollout {
		wait.Phase = api.PhaseWaiting
		ev = info("Halt %s advancement waiting for approval pull request", t.c.Key())
	} else {
		wait.Phase = api.PhaseWaitingPromotion
		ev = info("Halt %s advancement waiting for promotion approval pull request", t.c.Key())
	}
	d := t.transition(wait, rev, ev)
	d.Body = append(d.Body, "Pull request branch: "+branch)
	d.Proposal = &Proposal{Gate: gate, Branch: branch, Revision: rev, Next: proposed(t.c, d.Status, t.obs)}
	return d
}

// proposed is the transition a gate's pull request lands, derived from the
// waiting status alone, so that every pass builds the same commit.
func proposed(c *api.Canary, wait api.Status, obs Observation) Decision {
	next := wait
	next.Approval = nil
	p := Decision{Commit: true, Revision: wait.Approval.Revision}
	if wait.Approval.Gate == GateRollout {
		next.Phase = api.PhaseProgressing
		next.CanaryWeight, next.FailedChecks, next.Iterations = 0, 0, 0
		next.LastAppliedSpec = wait.Approval.Revision
		next.TrackedConfigs = obs.TrackedConfigs
		p.Events = []Event{evNewRevision(c)}
	} else if a := c.Spec.Analysis; a.Strategy() == api.StrategyBlueGreen && !obs.NoRouter && wait.Iterations == a.Iterations {
		// Blue/green switches all traffic to the canary before the copy.
		next = routedToCanary(c, next)
		p.Events = []Event{evRoutedToCanary(a)}
	} else {
		next.Phase = api.PhasePromoting
		next.LastPromotedCommit = obs.Head
		p.Events = []Event{evCopying(c, obs)}
		p.CopyPrimary = true
	}
	p.Status = next
	return p
}

// approval decides for a canary waiting at an approval gate: merged goes
// on, closed rolls back, approved may be merged, an open one is kept up to
// date; at the promotion gate the analysis keeps running meanwhile, and a
// failed check closes the pull request.
func (t *tick) approval() (Decision, bool) {
	st := t.st
	ap := st.Approval
	if ap == nil {
		return Decision{}, false
	}
	if t.obs.PR == nil {
		return t.need(NeedPR)
	}
	c := t.c
	pr := *t.obs.PR
	keep := &Proposal{Gate: ap.Gate, Branch: ap.Branch, Revision: ap.Revision, Next: proposed(c, st, t.obs), PR: pr}
	closing := func(next Decision, why string) (Decision, bool) {
		if pr.Open {
			next.Close = &Proposal{Gate: ap.Gate, Branch: ap.Branch, Revision: ap.Revision, Comment: why, PR: pr}
		}
		return next, true
	}
	// The tick decides as if no gate were pending when it leaves it.
	t.st.Approval = nil
	// A newer revision supersedes the one waiting.
	if t.obs.Revision != ap.Revision {
		var next Decision
		if ap.Gate == GateRollout {
			next = t.openGate(GateRollout)
		} else {
			next = t.transition(t.restarted(), t.obs.Revision, evRestart(c))
		}
		return closing(next, fmt.Sprintf("Superseded: revision %s of %s arrived.", t.obs.Revision, c.Key()))
	}
	switch {
	case pr.Merged:
		// The merge normally brings the proposed status along; if this
		// pass read the branch before the merge, land it now (the push is
		// a compare-and-swap: a stale decision is dropped).
		next := keep.Next
		next.Status.LastTransitionTime = t.obs.Now.UTC().Truncate(time.Millisecond)
		return next, true
	case pr.Number != 0 && !pr.Open:
		return t.rollback(warning("Rolling back %s %s rejected in #%d", c.Key(), ap.Gate, pr.Number)), true
	}
	if ap.Gate == GatePromotion {
		if st.FailedChecks >= c.Spec.Analysis.Threshold {
			return closing(t.rollback(evRollback(c, st.FailedChecks)),
				fmt.Sprintf("Closed by gitcanary: failed checks threshold reached %d, %s is rolled back.", st.FailedChecks, c.Key()))
		}
		m := t.obs.Metrics
		if m == nil {
			t.st.Approval = ap
			return t.need(NeedMetrics)
		}
		for _, ch := range m.Checks {
			if !ch.Passed {
				next := t.st
				next.FailedChecks++
				next.Phase = api.PhaseProgressing
				t.body = summaries(m.Checks)
				out := t.transition(next, ap.Revision, warning("%s", ch.Halt))
				return closing(out, "Closed by gitcanary: "+ch.Halt+". The analysis goes on; a new pull request is opened when it passes again.")
			}
		}
	}
	t.st.Approval = ap
	if pr.Open && pr.Approved && c.Spec.GitOps.Approval.MergeOnApproval {
		keep.Merge = true
	}
	d := Decision{Status: st, Proposal: keep}
	if pr.Number == 0 {
		d.Wait = "opening the pull request of the " + ap.Gate + " gate"
	} else {
		d.Wait = fmt.Sprintf("waiting for pull request #%d (%s gate)", pr.Number, ap.Gate)
	}
	return d, true
}
