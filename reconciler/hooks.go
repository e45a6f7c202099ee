package reconciler

import (
	"slices"

	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Flagger webhooks in the state machine. The caller runs a canary's hooks
// of the types a Decision asks for (NeedHooks) and decides again with their
// outcomes in Observation.Hooks; a canary without hooks of a type passes
// without a call. On a tick:
//
//	confirm-rollout           a new revision waits in phase Waiting (one commit) until they pass
//	rollback                  first on every tick of a rollout; one answering 2xx rolls back
//	pre-rollout               on the tick that starts the analysis; a failure is a failed check
//	rollout                   on every later tick, before the metrics; a failure is a failed check
//	confirm-traffic-increase  before every weight increase; a failure waits, without a commit
//	confirm-promotion         before the promotion; a failure waits in phase WaitingPromotion
//	                          (one commit) while the analysis goes on
//
// Post-rollout and event hooks change nothing: the pass calls them after
// its push (Reconciler.afterPush).

// outcome returns the outcome of the canary's hooks of type typ on this
// tick; ok is false when they have not run yet.
func outcome(c *api.Canary, obs Observation, typ string) (out webhooks.Outcome, ok bool) {
	if len(webhooks.OfType(c, typ)) == 0 {
		return webhooks.Outcome{Type: typ, Passed: true}, true
	}
	out, ok = obs.Hooks[typ]
	return out, ok
}

// needHooks asks the caller to run the hooks of type typ.
func (d Decision) needHooks(typ string) (Decision, bool) {
	d.NeedHooks = []string{typ}
	return d, true
}

// confirmRollout holds a new revision at its confirm-rollout hooks: one
// that fails puts the canary in phase Waiting, where activeHooks asks them
// again on every tick.
func (d Decision) confirmRollout(c *api.Canary, obs Observation) (Decision, bool) {
	out, ok := outcome(c, obs, webhooks.ConfirmRollout)
	if !ok {
		return d.needHooks(webhooks.ConfirmRollout)
	}
	if out.Passed {
		return d, false
	}
	next := d.Status
	next.Phase = api.PhaseWaiting
	return d.transition(obs, next, warning("%s", out.Halt)), true
}

// activeHooks runs first on every due tick of a rollout: the rollback
// hooks, then, for a new revision waiting in phase Waiting, the
// confirm-rollout hooks.
func (d Decision) activeHooks(c *api.Canary, obs Observation) (Decision, bool) {
	st := d.Status
	waiting := st.Phase == api.PhaseWaiting && st.Approval == nil
	switch {
	case waiting && (obs.Revision == st.LastAppliedSpec || obs.Revision == st.LastPromotedSpec):
		// The waiting revision was reverted before it started.
		next := st
		next.Phase = api.PhaseSucceeded
		if obs.Revision != st.LastPromotedSpec {
			next.Phase = api.PhaseFailed
		}
		return d.transition(obs, next, info("Rollout of %s cancelled: the waiting revision was reverted", c.Key())), true
	case waiting:
	case st.Phase != api.PhaseProgressing && st.Phase != api.PhaseWaitingPromotion:
		return d, false
	case obs.Revision != st.LastAppliedSpec:
		return d, false // a new revision restarts the analysis first
	}
	out, ok := outcome(c, obs, webhooks.Rollback)
	if !ok {
		return d.needHooks(webhooks.Rollback)
	}
	if !out.Passed {
		d.Status.LastFailure = out.Halt
		return d.rollback(c, obs, warning("%s", out.Halt)), true
	}
	if !waiting {
		return d, false
	}
	out, ok = outcome(c, obs, webhooks.ConfirmRollout)
	if !ok {
		return d.needHooks(webhooks.ConfirmRollout)
	}
	if !out.Passed {
		d.Wait = out.Halt
		return d, true
	}
	// Confirmed: the rollout starts as from an idle phase.
	rest := st
	rest.Phase = api.PhaseSucceeded
	return Decide(c, rest, obs), true
}

// startHooks runs on the tick that starts the analysis: the pre-rollout
// hooks (a failure is a failed check), then the confirm-traffic-increase
// hooks of the first step.
func (d Decision) startHooks(c *api.Canary, obs Observation) (Decision, bool) {
	out, ok := outcome(c, obs, webhooks.PreRollout)
	if !ok {
		return d.needHooks(webhooks.PreRollout)
	}
	if !out.Passed {
		return d.failedCheck(obs, out.Halt), true
	}
	return d.confirmTraffic(c, obs)
}

// rolloutHooks runs on every analysis tick after the first, before the
// metric checks: a failure is a failed check.
func (d Decision) rolloutHooks(c *api.Canary, obs Observation) (Decision, bool) {
	out, ok := outcome(c, obs, webhooks.Rollout)
	if !ok {
		return d.needHooks(webhooks.Rollout)
	}
	if !out.Passed {
		return d.failedCheck(obs, out.Halt), true
	}
	return d, false
}

// confirmStep holds a step whose checks passed at its confirm hooks:
// confirm-traffic-increase before a weight increase, confirm-promotion at
// the maximum weight. A closed promotion gate puts the canary in phase
// WaitingPromotion with one commit (body: the metric values); the analysis
// goes on while it waits.
func (d Decision) confirmStep(c *api.Canary, obs Observation, body []string) (Decision, bool) {
	st := d.Status
	if st.CanaryWeight < c.Spec.Analysis.MaxWeight {
		return d.confirmTraffic(c, obs)
	}
	out, ok := outcome(c, obs, webhooks.ConfirmPromotion)
	if !ok {
		return d.needHooks(webhooks.ConfirmPromotion)
	}
	if out.Passed {
		return d, false
	}
	if st.Phase == api.PhaseWaitingPromotion {
		d.Wait = out.Halt
		return d, true
	}
	next := st
	next.Phase = api.PhaseWaitingPromotion
	d = d.transition(obs, next, warning("%s", out.Halt))
	d.Body = append(d.Body, body...)
	return d, true
}

// confirmTraffic holds a weight increase at the confirm-traffic-increase
// hooks: a failure waits, with no commit and no failed check.
func (d Decision) confirmTraffic(c *api.Canary, obs Observation) (Decision, bool) {
	out, ok := outcome(c, obs, webhooks.ConfirmTrafficIncrease)
	if !ok {
		return d.needHooks(webhooks.ConfirmTrafficIncrease)
	}
	if out.Passed {
		return d, false
	}
	d.Wait = out.Halt
	return d, true
}

// failedCheck is a failed check whose event is halt.
func (d Decision) failedCheck(obs Observation, halt string) Decision {
	next := d.Status
	next.FailedChecks++
	return d.transition(obs, next, warning("%s", halt))
}

// recordHooks completes a transition: the texts of the hooks that passed
// on this tick ("Pre-rollout check smoke passed") follow its first event,
// and a failed check is kept as the status's LastFailure.
func recordHooks(prev, next api.Status, obs Observation, events []Event) (api.Status, []Event) {
	if len(events) == 0 {
		return next, events
	}
	if next.FailedChecks > prev.FailedChecks {
		next.LastFailure = events[0].Text
	}
	var passed []Event
	for _, typ := range webhooks.Types {
		out, ok := obs.Hooks[typ]
		if !ok || typ == webhooks.Rollback {
			continue
		}
		for _, r := range out.Results {
			if r.Err == nil && r.Text != "" {
				passed = append(passed, info("%s", r.Text))
			}
		}
	}
	if len(passed) == 0 {
		return next, events
	}
	return next, slices.Concat(events[:1], passed, events[1:])
}
