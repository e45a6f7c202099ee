package machine

import (
	"time"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

func (t *tick) suspended() (Decision, bool) {
	if !t.c.Spec.Suspend {
		return Decision{}, false
	}
	return t.wait("canary is suspended"), true
}

// initialize generates the primary, the Services and the router at 100/0.
// Like Flagger, it checks once that the metric providers answer; the
// outcome is recorded, not fatal.
func (t *tick) initialize() (Decision, bool) {
	var extra []Event
	if t.measures() {
		p := t.obs.Providers
		if p == nil {
			return t.need(NeedProviders)
		}
		switch {
		case p.Unchecked:
		case p.Err == "":
			extra = append(extra, evProvidersAvailable())
		default:
			extra = append(extra, evProvidersError(p.Err))
		}
	}
	rev := t.obs.Revision
	next := api.Status{
		Phase:              api.PhaseInitialized,
		LastAppliedSpec:    rev,
		LastPromotedSpec:   rev,
		LastPromotedCommit: t.obs.Head,
		TrackedConfigs:     t.obs.TrackedConfigs,
	}
	d := t.transition(next, rev, append([]Event{evInitialized(t.c)}, extra...)...)
	d.CopyPrimary = true
	return d, true
}

// measures reports whether the canary's analysis has metric checks.
func (t *tick) measures() bool {
	a := t.c.Spec.Analysis
	return a != nil && len(a.Metrics) > 0 && !t.c.Spec.SkipAnalysis
}

func (t *tick) paused() (Decision, bool) {
	if !t.st.Paused {
		return Decision{}, false
	}
	return t.wait("canary is paused (gitcanary resume)"), true
}

// newRevision starts a rollout when the target differs from both the last
// applied and the promoted revision (a target put back to the promoted
// spec, as by a manual revert, is not a new revision).
func (t *tick) newRevision() (Decision, bool) {
	if rev := t.obs.Revision; rev == t.st.LastAppliedSpec || rev == t.st.LastPromotedSpec {
		d := t.wait("no new revision")
		d.Idle = true
		return d, true
	}
	return t.startRollout()
}

// startRollout asks the confirm-rollout hooks (closed: phase Waiting, one
// commit) and the rollout approval, then scales the canary up.
func (t *tick) startRollout() (Decision, bool) {
	out, ok := t.hooks(api.HookConfirmRollout)
	if !ok {
		return t.needHooks(api.HookConfirmRollout)
	}
	if !out.Passed {
		next := t.st
		next.Phase = api.PhaseWaiting
		return t.transition(next, t.obs.Revision, warning("%s", out.Halt)), true
	}
	if needsApproval(t.c, GateRollout) {
		return t.openGate(GateRollout), true
	}
	return t.transition(t.restarted(), t.obs.Revision, evNewRevision(t.c)), true
}

func (t *tick) notDue() (Decision, bool) {
	due := t.st.LastTransitionTime.Add(t.c.Spec.Analysis.Interval.Duration)
	if !t.obs.Now.Before(due) {
		return Decision{}, false
	}
	return t.wait("next step due in " + due.Sub(t.obs.Now).Round(time.Millisecond).String()), true
}

// confirmWaiting decides for a new revision waiting in phase Waiting at
// its confirm-rollout hooks: cancelled when the revision was reverted,
// rolled back by a rollback hook, else started once the hooks pass.
func (t *tick) confirmWaiting() (Decision, bool) {
	st := t.st
	if rev := t.obs.Revision; rev == st.LastAppliedSpec || rev == st.LastPromotedSpec {
		next := st
		next.Phase = api.PhaseSucceeded
		if rev != st.LastPromotedSpec {
			next.Phase = api.PhaseFailed
		}
		return t.transition(next, rev, info("Rollout of %s cancelled: the waiting revision was reverted", t.c.Key())), true
	}
	if d, ok := t.rollbackHooks(); ok {
		return d, true
	}
	out, ok := t.hooks(api.HookConfirmRollout)
	if !ok {
		return t.needHooks(api.HookConfirmRollout)
	}
	if !out.Passed {
		return t.wait(out.Halt), true
	}
	if needsApproval(t.c, GateRollout) {
		return t.openGate(GateRollout), true
	}
	return t.transition(t.restarted(), t.obs.Revision, evNewRevision(t.c)), true
}

func (t *tick) restart() (Decision, bool) {
	if t.obs.Revision == t.st.LastAppliedSpec {
		return Decision{}, false
	}
	return t.transition(t.restarted(), t.obs.Revision, evRestart(t.c)), true
}

// skipAnalysis promotes at once, as Flagger's shouldSkipAnalysis does
// before the rollback hooks and the threshold.
func (t *tick) skipAnalysis() (Decision, bool) {
	if !t.c.Spec.SkipAnalysis {
		return Decision{}, false
	}
	next := t.st
	next.Phase = api.PhaseSucceeded
	next.CanaryWeight, next.Iterations = 0, 0
	next.LastPromotedSpec = t.st.LastAppliedSpec
	next.LastPromotedCommit = t.obs.Head
	d := t.transition(next, t.analysed(), evCopying(t.c, t.obs), evSkipped(t.c))
	d.CopyPrimary = true
	return d, true
}

// rollbackHooks asks the rollback hooks first on every tick of a rollout;
// one answering with success rolls the canary back.
func (t *tick) rollbackHooks() (Decision, bool) {
	out, ok := t.hooks(api.HookRollback)
	if !ok {
		return t.needHooks(api.HookRollback)
	}
	if out.Passed {
		return Decision{}, false
	}
	t.st.LastFailure = out.Halt
	return t.rollback(warning("%s", out.Halt)), true
}

func (t *tick) threshold() (Decision, bool) {
	if t.st.FailedChecks < t.c.Spec.Analysis.Threshold {
		return Decision{}, false
	}
	return t.rollback(evRollback(t.c, t.st.FailedChecks)), true
}

// promoting routes traffic back to the freshly updated primary, all at once
// or by stepWeightPromotion (runPromotionTrafficShift). A provider without
// a router has no traffic to route back: Flagger goes straight to
// Finalising without an event, and gitcanary completes the promotion in
// this commit.
func (t *tick) promoting() (Decision, bool) {
	if t.obs.NoRouter {
		return t.finalising()
	}
	next := t.st
	step := t.c.Spec.Analysis.StepWeightPromotion
	if step > 0 && next.CanaryWeight > 0 {
		primary := min(100, 100-next.CanaryWeight+step)
		next.CanaryWeight = 100 - primary
		if primary == 100 {
			next.Phase = api.PhaseFinalising
		}
		return t.transition(next, t.analysed(), evAdvancePrimary(t.c, primary)), true
	}
	next.Phase = api.PhaseFinalising
	next.CanaryWeight = 0
	return t.transition(next, t.analysed(), evRoutingPrimary()), true
}

// finalising scales the canary down: the promotion is complete.
func (t *tick) finalising() (Decision, bool) {
	next := t.st
	next.Phase = api.PhaseSucceeded
	next.CanaryWeight, next.Iterations = 0, 0
	next.LastPromotedSpec = t.st.LastAppliedSpec
	return t.transition(next, t.analysed(), evPromoted(t.c)), true
}

// analysis runs the checks of a tick: the pre-rollout hooks on the tick
// that starts the analysis (no traffic reaches the canary yet: weight 0, no
// iteration, no mirroring), else the rollout hooks and the metrics. A failure is a failed check; on success the
// metric values go to the body of the next row's commit.
func (t *tick) analysis() (Decision, bool) {
	if t.st.CanaryWeight == 0 && t.st.Iterations == 0 && !t.st.Mirrored {
		out, ok := t.hooks(api.HookPreRollout)
		if !ok {
			return t.needHooks(api.HookPreRollout)
		}
		if !out.Passed {
			return t.failedCheck(out.Halt), true
		}
		t.isStarting = true
		return Decision{}, false
	}
	out, ok := t.hooks(api.HookRollout)
	if !ok {
		return t.needHooks(api.HookRollout)
	}
	if !out.Passed {
		return t.failedCheck(out.Halt), true
	}
	m := t.obs.Metrics
	if m == nil {
		return t.need(NeedMetrics)
	}
	t.body = append(t.body, summaries(m.Checks)...)
	for _, ch := range m.Checks {
		if !ch.Passed {
			return t.failedCheck(ch.Halt), true
		}
	}
	return Decision{}, false
}
