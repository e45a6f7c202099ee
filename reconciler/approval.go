package reconciler

import (
	"fmt"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Approval gates.
const (
	GateRollout   = "rollout"
	GatePromotion = "promotion"
)

// PRState is what the Git host says of a gate's pull request.
type PRState struct {
	// Number is 0 when there is no pull request for the gate's branch yet.
	Number   int
	Open     bool
	Merged   bool
	Approved bool
	URL      string
	HeadSHA  string
}

// Proposal is a transition that waits for approval in a pull request: the
// pass commits it on top of the branch head and pushes it to Branch (its own
// branch, rebuilt when the branch head moves), and opens or updates the pull
// request; or merges or closes that pull request.
type Proposal struct {
	Gate   string
	Branch string
	// Next is the proposed transition, as it will land when merged.
	Next Decision
	// Revision the proposal is about.
	Revision string
	// Merge asks to merge the pull request (mergeOnApproval).
	Merge bool
	// Comment explains why the pull request is closed (Decision.Close).
	Comment string
	// PR is the pull request the decision was taken on.
	PR PRState
}

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

// proposalBranch is the branch of a gate's pull request.
func proposalBranch(c *api.Canary, gate, revision string) string {
	return fmt.Sprintf("gitcanary/%s/%s/%s-%s", c.Metadata.Namespace, c.Metadata.Name, gate, revision)
}

// openGate puts a canary in front of an approval gate: the decision's
// commit sets the waiting phase and its proposal carries the transition that
// merging the pull request lands.
func (d Decision) openGate(c *api.Canary, obs Observation, gate string) Decision {
	wait := d.Status
	branch := proposalBranch(c, gate, obs.Revision)
	wait.Approval = &api.PendingApproval{Gate: gate, Revision: obs.Revision, Branch: branch}
	var ev Event
	if gate == GateRollout {
		wait.Phase = api.PhaseWaiting
		ev = info("Halt %s advancement waiting for approval pull request %s", c.Key(), branch)
	} else {
		wait.Phase = api.PhaseWaitingPromotion
		ev = info("Halt %s advancement waiting for promotion approval pull request %s", c.Key(), branch)
	}
	body := d.Body
	d = d.transition(obs, wait, ev)
	d.Body = body
	d.Proposal = &Proposal{Gate: gate, Branch: branch, Revision: obs.Revision, Next: proposed(c, d.Status, obs)}
	return d
}

// proposed is the transition a gate's pull request lands, derived from the
// waiting status alone, so that every pass builds the same commit.
func proposed(c *api.Canary, wait api.Status, obs Observation) Decision {
	next := wait
	next.Approval = nil
	p := Decision{Commit: true}
	if wait.Approval.Gate == GateRollout {
		next.Phase = api.PhaseProgressing
		next.CanaryWeight, next.FailedChecks, next.Iterations = 0, 0, 0
		next.LastAppliedSpec = wait.Approval.Revision
		next.TrackedConfigs = obs.TrackedConfigs
		p.Events = []Event{evNewRevision(c)}
	} else {
		next.Phase = api.PhasePromoting
		next.LastPromotedCommit = obs.Head
		p.Events = []Event{evCopying(c)}
		p.CopyPrimary = true
	}
	p.Status = next
	return p
}

// waitingApproval decides for a canary waiting at an approval gate: merged
// goes on, closed rolls back, approved may be merged, an open one is kept
// up to date; at the promotion gate the analysis keeps running meanwhile,
// and a failed check closes the pull request.
func (d Decision) waitingApproval(c *api.Canary, obs Observation) Decision {
	st := d.Status
	ap := st.Approval
	if obs.PR == nil {
		d.NeedPR = true
		return d
	}
	pr := *obs.PR
	keep := &Proposal{Gate: ap.Gate, Branch: ap.Branch, Revision: ap.Revision, Next: proposed(c, st, obs), PR: pr}
	closing := func(next Decision, why string) Decision {
		if pr.Open {
			next.Close = &Proposal{Gate: ap.Gate, Branch: ap.Branch, Revision: ap.Revision, Comment: why, PR: pr}
		}
		return next
	}
	// A newer revision supersedes the one waiting.
	if obs.Revision != ap.Revision {
		base := d
		base.Status.Approval = nil
		var next Decision
		if ap.Gate == GateRollout {
			next = base.openGate(c, obs, GateRollout)
		} else {
			n := base.Status
			n.Phase = api.PhaseProgressing
			n.CanaryWeight, n.FailedChecks, n.Iterations = 0, 0, 0
			n.LastAppliedSpec = obs.Revision
			n.TrackedConfigs = obs.TrackedConfigs
			next = base.transition(obs, n, evRestart(c))
		}
		return closing(next, fmt.Sprintf("Superseded: revision %s of %s arrived.", obs.Revision, c.Key()))
	}
	switch {
	case pr.Merged:
		// The merge normally brings the proposed status along; if this
		// pass read the branch before the merge, land it now (the push is
		// a compare-and-swap: a stale decision is dropped).
		next := keep.Next
		next.Status.LastTransitionTime = obs.Now.UTC().Truncate(1e6)
		return next
	case pr.Number != 0 && !pr.Open:
		base := d
		base.Status.Approval = nil
		return base.rollback(c, obs, warning("Rolling back %s %s rejected in #%d", c.Key(), ap.Gate, pr.Number))
	}
	if ap.Gate == GatePromotion {
		if st.FailedChecks >= c.Spec.Analysis.Threshold {
			base := d
			base.Status.Approval = nil
			return closing(base.rollback(c, obs, evRollback(c, st.FailedChecks)),
				fmt.Sprintf("Closed by gitcanary: failed checks threshold reached %d, %s is rolled back.", st.FailedChecks, c.Key()))
		}
		if obs.Checks == nil {
			d.NeedChecks = true
			return d
		}
		for _, ch := range obs.Checks {
			if !ch.Passed {
				next := st
				next.FailedChecks++
				next.Phase = api.PhaseProgressing
				next.Approval = nil
				out := d.transition(obs, next, warning("%s", ch.Halt))
				out.Body = summaries(obs.Checks)
				return closing(out, "Closed by gitcanary: "+ch.Halt+". The analysis goes on; a new pull request is opened when it passes again.")
			}
		}
	}
	if pr.Open && pr.Approved && c.Spec.GitOps.Approval.MergeOnApproval {
		keep.Merge = true
	}
	d.Proposal = keep
	if pr.Number == 0 {
		d.Wait = "opening the pull request of the " + ap.Gate + " gate"
	} else {
		d.Wait = fmt.Sprintf("waiting for pull request #%d (%s gate)", pr.Number, ap.Gate)
	}
	return d
}
