package reconciler

import (
	"fmt"
	"time"

	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Observation is what a pass saw of one canary before deciding.
type Observation struct {
	// Revision is the hash of the target's pod template and tracked configs.
	Revision string
	// TrackedConfigs are the content hashes of the configs in Revision.
	TrackedConfigs map[string]string
	// Head is the commit the decision is based on.
	Head string
	// Now is the time of the decision.
	Now time.Time
	// Checks are this tick's metric results; nil when not measured yet.
	Checks []Check
	// Request is a manual request committed by `gitcanary promote|abort|
	// pause|resume`, or nil.
	Request *Request
	// Gate is what the sync gate says of the canary's last commit; nil
	// when not asked yet.
	Gate *Gate
	// PR is the pull request of the approval gate the canary waits at; nil
	// when not asked yet.
	PR *PRState
	// Hooks are the outcomes of the webhooks run on this tick, by type;
	// a type asked for in Decision.NeedHooks is missing until run.
	Hooks map[string]webhooks.Outcome
}

// Gate is the state of a canary's sync gate: whether the cluster has
// applied the canary's last commit.
type Gate struct {
	Open   bool
	Failed bool      // the GitOps agent reported a failure applying it
	Since  time.Time // when it opened
	Detail string    // what said so, e.g. "kustomization/apps/3f2a1b4c: reconciliation succeeded"
}

// Request is a manual request found in the canary's folder.
type Request struct {
	Action string // promote, abort, pause or resume
	By     string // who asked: "Name <email>"
}

// Check is the outcome of one metric check.
type Check struct {
	Metric  string
	Passed  bool
	Halt    string // the Flagger event text when the check failed
	Summary string // one line for the commit body
}

// Decision is the outcome of Decide.
type Decision struct {
	// NeedChecks asks the caller to measure the metrics and decide again
	// with Observation.Checks set.
	NeedChecks bool
	// NeedGate asks the caller to look at the sync gate and decide again
	// with Observation.Gate set.
	NeedGate bool
	// NeedPR asks the caller to look up the approval gate's pull request
	// and decide again with Observation.PR set.
	NeedPR bool
	// NeedHooks asks the caller to run the canary's webhooks of these
	// types and decide again with their outcomes in Observation.Hooks.
	NeedHooks []string
	// Proposal, when set, is a transition proposed in a pull request, to
	// open, bring up to date or merge; see Proposal.
	Proposal *Proposal
	// Close, when set, is a pull request to close with Close.Comment.
	Close *Proposal
	// Commit is true when the decision is a transition: a commit is due.
	Commit bool
	// Status is the status after the transition.
	Status api.Status
	// Events are the transition's events, first one the commit subject.
	Events []Event
	// Body lines for the commit (metric values).
	Body []string
	// CopyPrimary regenerates the primary from the current target.
	CopyPrimary bool
	// RevertTarget restores the target's inputs to Status.LastPromotedCommit
	// as it was before the transition.
	RevertTarget bool
	// Wait explains, for logs, why nothing happened.
	Wait string
}

// Decide is gitcanary's state machine: given a canary, its status and what
// was observed, it returns the next status and the events of the transition.
// It does no I/O; the zero status means the canary was never initialized.
func Decide(c *api.Canary, st api.Status, obs Observation) Decision {
	a := c.Spec.Analysis
	d := Decision{Status: st}
	if st.Phase == "" {
		return d.transition(obs, api.Status{
			Phase:              api.PhaseInitialized,
			LastAppliedSpec:    obs.Revision,
			LastPromotedSpec:   obs.Revision,
			LastPromotedCommit: obs.Head,
			TrackedConfigs:     obs.TrackedConfigs,
		}, evInitialized(c)).copyPrimary()
	}
	if obs.Request != nil {
		return d.request(c, obs)
	}
	if c.Spec.Suspend {
		d.Wait = "canary is suspended"
		return d
	}
	if st.Paused {
		d.Wait = "canary is paused (gitcanary resume)"
		return d
	}
	if st.Approval != nil {
		return d.waitingApproval(c, obs)
	}
	if !st.Phase.Active() {
		if obs.Revision == st.LastAppliedSpec || obs.Revision == st.LastPromotedSpec {
			d.Wait = "no new revision"
			return d
		}
		if hd, wait := d.confirmRollout(c, obs); wait {
			return hd
		}
		if needsApproval(c, GateRollout) {
			return d.openGate(c, obs, GateRollout)
		}
		next := st
		next.Phase = api.PhaseProgressing
		next.CanaryWeight, next.FailedChecks, next.Iterations = 0, 0, 0
		next.LastAppliedSpec = obs.Revision
		next.TrackedConfigs = obs.TrackedConfigs
		return d.transition(obs, next, evNewRevision(c))
	}
	if due := st.LastTransitionTime.Add(a.Interval.Duration); obs.Now.Before(due) {
		d.Wait = "next step due in " + due.Sub(obs.Now).Round(time.Millisecond).String()
		return d
	}
	if hd, done := d.activeHooks(c, obs); done {
		return hd
	}
	// A restart on a new revision and a rollback do not wait for the
	// cluster to apply the last commit; every other step does.
	restart := obs.Revision != st.LastAppliedSpec && st.Phase != api.PhasePromoting && st.Phase != api.PhaseFinalising
	rollback := st.Phase == api.PhaseProgressing && st.FailedChecks >= a.Threshold
	if !restart && !rollback {
		gd, stop := d.gate(c, obs)
		if stop {
			return gd
		}
		d.Body = gd.Body
	}
	switch st.Phase {
	case api.PhasePromoting:
		return d.promoting(c, obs)
	case api.PhaseFinalising:
		next := st
		next.Phase = api.PhaseSucceeded
		next.CanaryWeight = 0
		next.LastPromotedSpec = st.LastAppliedSpec
		return d.transition(obs, next, evPromoted(c))
	}
	// Progressing, Waiting, WaitingPromotion.
	if obs.Revision != st.LastAppliedSpec {
		next := st
		next.Phase = api.PhaseProgressing
		next.CanaryWeight, next.FailedChecks, next.Iterations = 0, 0, 0
		next.LastAppliedSpec = obs.Revision
		next.TrackedConfigs = obs.TrackedConfigs
		return d.transition(obs, next, evRestart(c))
	}
	if st.FailedChecks >= a.Threshold {
		return d.rollback(c, obs, evRollback(c, st.FailedChecks))
	}
	if c.Spec.SkipAnalysis {
		next := st
		next.Phase = api.PhaseSucceeded
		next.CanaryWeight = 0
		next.LastPromotedSpec = st.LastAppliedSpec
		next.LastPromotedCommit = obs.Head
		return d.transition(obs, next, evCopying(c), evSkipped(c)).copyPrimary()
	}
	if st.CanaryWeight == 0 {
		if hd, wait := d.startHooks(c, obs); wait {
			return hd
		}
		next := st
		next.Phase = api.PhaseProgressing
		next.CanaryWeight = nextWeight(a, 0)
		return d.transition(obs, next, evStarting(c), evAdvance(c, next.CanaryWeight))
	}
	if hd, done := d.rolloutHooks(c, obs); done {
		return hd
	}
	if obs.Checks == nil {
		d.NeedChecks = true
		return d
	}
	body := summaries(obs.Checks)
	for _, ch := range obs.Checks {
		if !ch.Passed {
			next := st
			next.FailedChecks++
			d = d.transition(obs, next, warning("%s", ch.Halt))
			d.Body = append(d.Body, body...)
			return d
		}
	}
	next := st
	if hd, wait := d.confirmStep(c, obs, body); wait {
		return hd
	}
	if st.CanaryWeight >= a.MaxWeight && needsApproval(c, GatePromotion) {
		d.Body = append(d.Body, body...)
		return d.openGate(c, obs, GatePromotion)
	}
	if st.CanaryWeight >= a.MaxWeight {
		next.Phase = api.PhasePromoting
		next.LastPromotedCommit = obs.Head
		d = d.transition(obs, next, evCopying(c)).copyPrimary()
	} else {
		next.CanaryWeight = nextWeight(a, st.CanaryWeight)
		d = d.transition(obs, next, evAdvance(c, next.CanaryWeight))
	}
	d.Body = append(d.Body, body...)
	return d
}

// gate holds a step until the cluster has applied the canary's last commit
// and one analysis interval has passed since, when the canary has a sync
// gate. A failure reported by the GitOps agent, or a gate not open within
// its timeout, is a failed check. It returns stop when the step must wait
// or the returned Decision commits a failed check; else the Decision's
// body line says how long the apply took.
func (d Decision) gate(c *api.Canary, obs Observation) (Decision, bool) {
	g := c.Spec.GitOps.SyncGate
	if g == nil || g.Type == "" || g.Type == "none" {
		return d, false
	}
	if obs.Gate == nil {
		d.NeedGate = true
		return d, true
	}
	st := d.Status
	gate := obs.Gate
	name := g.Context
	if g.Type == "prometheus" {
		name = "query"
	}
	failed := func(format string, args ...any) (Decision, bool) {
		next := st
		next.FailedChecks++
		return d.transition(obs, next, warning(format, args...)), true
	}
	switch {
	case gate.Failed:
		return failed("Halt %s advancement sync gate %s failed: %s", c.Key(), name, gate.Detail)
	case !gate.Open:
		timeout := gateTimeout(c)
		if waited := obs.Now.Sub(st.LastTransitionTime); waited >= timeout {
			return failed("Halt %s advancement sync gate %s not open after %s", c.Key(), name, timeout)
		}
		d.Wait = "waiting for the sync gate " + name + " to see the last commit applied"
		return d, true
	}
	if due := gate.Since.Add(c.Spec.Analysis.Interval.Duration); obs.Now.Before(due) {
		d.Wait = "sync gate open; analysis window ends in " + due.Sub(obs.Now).Round(time.Millisecond).String()
		return d, true
	}
	applied := gate.Since.Sub(st.LastTransitionTime).Round(100 * time.Millisecond)
	d.Body = []string{fmt.Sprintf("sync gate: %s, %s after the last commit", gate.Detail, max(applied, 0))}
	return d, false
}

// gateTimeout is the sync gate's timeout: spec.gitops.syncGate.timeout,
// else progressDeadlineSeconds (Flagger's deadline for the canary to get
// ready).
func gateTimeout(c *api.Canary) time.Duration {
	if t := c.Spec.GitOps.SyncGate.Timeout.Duration; t > 0 {
		return t
	}
	return time.Duration(*c.Spec.ProgressDeadlineSeconds) * time.Second
}

// request honours a manual request; every outcome, an ignored request too,
// is a commit that records it.
func (d Decision) request(c *api.Canary, obs Observation) Decision {
	st := d.Status
	rq := obs.Request
	ignore := func(why string) Decision {
		next := st
		return d.transition(obs, next, info("Ignored %s request for %s by %s: %s", rq.Action, c.Key(), rq.By, why))
	}
	switch rq.Action {
	case "pause":
		next := st
		next.Paused = true
		return d.transition(obs, next, info("Paused %s as requested by %s", c.Key(), rq.By))
	case "resume":
		next := st
		next.Paused = false
		return d.transition(obs, next, info("Resumed %s as requested by %s", c.Key(), rq.By))
	case "abort":
		switch st.Phase {
		case api.PhaseProgressing, api.PhaseWaiting, api.PhaseWaitingPromotion:
			return d.rollback(c, obs, warning("Rolling back %s manual abort requested by %s", c.Key(), rq.By))
		}
		return ignore("no analysis in progress")
	case "promote":
		switch st.Phase {
		case api.PhaseProgressing, api.PhaseWaiting, api.PhaseWaitingPromotion:
			if obs.Revision != st.LastAppliedSpec {
				return ignore("a new revision arrived; its analysis restarts on the next step")
			}
			next := st
			next.Phase = api.PhasePromoting
			next.LastPromotedCommit = obs.Head
			return d.transition(obs, next, info("Promotion of %s requested by %s", c.Key(), rq.By), evCopying(c)).copyPrimary()
		}
		return ignore("no analysis in progress")
	}
	return ignore("unknown action")
}

// promoting routes traffic back to the freshly updated primary, all at once
// or by stepWeightPromotion.
func (d Decision) promoting(c *api.Canary, obs Observation) Decision {
	next := d.Status
	if step := c.Spec.Analysis.StepWeightPromotion; step > 0 {
		if primary := 100 - next.CanaryWeight + step; primary < 100 {
			next.CanaryWeight = 100 - primary
			return d.transition(obs, next, evAdvancePrimary(c, primary))
		}
	}
	next.Phase = api.PhaseFinalising
	next.CanaryWeight = 0
	return d.transition(obs, next, evRoutingPrimary())
}

// rollback routes all traffic to the primary, scales the canary down and,
// unless disabled, puts the target's inputs back to the promoted state.
func (d Decision) rollback(c *api.Canary, obs Observation, why Event) Decision {
	next := d.Status
	next.Phase = api.PhaseFailed
	next.CanaryWeight = 0
	next.FailedRevision = obs.Revision
	revert := c.Spec.GitOps.RevertTarget() && d.Status.LastPromotedCommit != ""
	if revert {
		// The target is back at the promoted revision, so pushing the
		// failed version again is a new revision and retries it.
		next.LastAppliedSpec = d.Status.LastPromotedSpec
	}
	d = d.transition(obs, next, why, evCanaryFailed(c))
	d.RevertTarget = revert
	return d
}

func (d Decision) transition(obs Observation, next api.Status, events ...Event) Decision {
	next.LastTransitionTime = obs.Now.UTC().Truncate(time.Millisecond)
	next, events = recordHooks(d.Status, next, obs, events)
	d.Status = next
	d.Events = events
	d.Commit = true
	return d
}

func (d Decision) copyPrimary() Decision {
	d.CopyPrimary = true
	return d
}

// nextWeight returns the canary weight after current, Flagger's way: the next
// of stepWeights, or current+stepWeight, which may overshoot maxWeight.
func nextWeight(a *api.Analysis, current int) int {
	if len(a.StepWeights) > 0 {
		for _, w := range a.StepWeights {
			if w > current {
				return w
			}
		}
		return a.StepWeights[len(a.StepWeights)-1]
	}
	return min(100, current+a.StepWeight)
}

func summaries(checks []Check) []string {
	out := make([]string, 0, len(checks))
	for _, ch := range checks {
		if ch.Summary != "" {
			out = append(out, ch.Summary)
		}
	}
	return out
}
