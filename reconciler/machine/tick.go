package machine

import (
	"slices"
	"time"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// tick is one decision in the making: the canary, its status, what was
// observed, and the body lines rows left for the commit.
type tick struct {
	c    *api.Canary
	st   api.Status
	obs  Observation
	body []string
	// isStarting is set on the tick that starts the analysis: its commit
	// opens with "Starting canary analysis".
	isStarting bool
}

// transition is a commit to status next about revision rev, with events.
func (t *tick) transition(next api.Status, rev string, events ...Event) Decision {
	next.LastTransitionTime = t.obs.Now.UTC().Truncate(time.Millisecond)
	if next.Phase != api.PhaseProgressing && next.Phase != api.PhaseWaitingPromotion {
		// Only an analysis mirrors: every other phase routes by weight.
		next.Mirrored = false
	}
	next = t.affinity(next)
	next, events = recordHooks(t.st, next, t.obs, events)
	return Decision{Commit: true, Status: next, Revision: rev, Events: events, Body: slices.Clone(t.body)}
}

// wait is a tick without a commit.
func (t *tick) wait(why string) Decision {
	return Decision{Status: t.st, Wait: why}
}

// need asks the caller to observe n and decide again.
func (t *tick) need(n Need) (Decision, bool) {
	return Decision{Status: t.st, Need: n}, true
}

// needHooks asks the caller to run the canary's hooks of type typ.
func (t *tick) needHooks(typ string) (Decision, bool) {
	return Decision{Status: t.st, Need: NeedHooks, Hook: typ}, true
}

// hooks returns the outcome of the canary's hooks of type typ on this
// tick; ok is false when they have not run yet. A canary without hooks of
// the type passes without a call.
func (t *tick) hooks(typ string) (out HookOutcome, ok bool) {
	if len(t.c.Hooks(typ)) == 0 {
		return HookOutcome{Passed: true}, true
	}
	out, ok = t.obs.Hooks[typ]
	return out, ok
}

// analysed is the revision a rollout in progress is about.
func (t *tick) analysed() string { return t.st.LastAppliedSpec }

// failedCheck is a failed check whose event is halt.
func (t *tick) failedCheck(halt string) Decision {
	next := t.st
	next.FailedChecks++
	return t.transition(next, t.analysed(), warning("%s", halt))
}

// rollback routes all traffic to the primary, scales the canary down and,
// unless disabled, puts the target's inputs back to the promoted state.
func (t *tick) rollback(why Event) Decision {
	next := t.st
	next.Phase = api.PhaseFailed
	next.CanaryWeight, next.Iterations = 0, 0
	next.Approval = nil
	next.FailedRevision = t.obs.Revision
	revert := t.c.Spec.GitOps.RevertTarget() && t.st.LastPromotedCommit != ""
	if revert {
		// The target is back at the promoted revision, so pushing the
		// failed version again is a new revision and retries it.
		next.LastAppliedSpec = t.st.LastPromotedSpec
	}
	d := t.transition(next, t.obs.Revision, why, evCanaryFailed(t.c))
	d.RevertTarget = revert
	return d
}

// restarted is the status of a rollout (re)starting on the observed
// revision.
func (t *tick) restarted() api.Status {
	next := t.st
	next.Phase = api.PhaseProgressing
	next.CanaryWeight, next.FailedChecks, next.Iterations = 0, 0, 0
	next.Mirrored = false
	next.LastAppliedSpec = t.obs.Revision
	next.TrackedConfigs = t.obs.TrackedConfigs
	next.Approval = nil
	return next
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
	for _, typ := range api.HookTypes {
		out, ok := obs.Hooks[typ]
		if !ok || typ == api.HookRollback {
			continue
		}
		for _, text := range out.Texts {
			passed = append(passed, info("%s", text))
		}
	}
	if len(passed) == 0 {
		return next, events
	}
	return next, slices.Concat(events[:1], passed, events[1:])
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
