package machine

import "github.com/gitcanary/gitcanary/reconciler/api"

// promotionGate is the end of every strategy's analysis: the
// confirm-promotion hooks (closed: phase WaitingPromotion, one commit,
// while the analysis goes on), the promotion approval, then the copy of
// the target to the primary. next, when set, is what the strategy does
// once both let it instead of the copy (blue/green routes all traffic to
// the canary first).
func (t *tick) promotionGate(next func() Decision) (Decision, bool) {
	st := t.st
	out, ok := t.hooks(api.HookConfirmPromotion)
	if !ok {
		return t.needHooks(api.HookConfirmPromotion)
	}
	if !out.Passed {
		if st.Phase == api.PhaseWaitingPromotion {
			return t.wait(out.Halt), true
		}
		wait := st
		wait.Phase = api.PhaseWaitingPromotion
		return t.transition(wait, t.analysed(), warning("%s", out.Halt)), true
	}
	if needsApproval(t.c, GatePromotion) {
		return t.openGate(GatePromotion), true
	}
	if next != nil {
		return next(), true
	}
	return t.promote(evCopying(t.c, t.obs)), true
}

// promote copies the target to the primary: phase Promoting.
func (t *tick) promote(events ...Event) Decision {
	next := t.st
	next.Phase = api.PhasePromoting
	next.LastPromotedCommit = t.obs.Head
	d := t.transition(next, t.analysed(), events...)
	d.CopyPrimary = true
	return d
}

// starting puts "Starting canary analysis" before the events of the tick
// that starts the analysis.
func (t *tick) starting(events ...Event) []Event {
	if t.isStarting {
		return append([]Event{evStarting(t.c)}, events...)
	}
	return events
}
