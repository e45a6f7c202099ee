package machine

import "github.com/gitcanary/gitcanary/reconciler/api"

// advance takes the canary strategy's next step (runCanary): a closed
// confirm-traffic-increase gate holds every step of phase Progressing, the
// promotion too, unless the canary is mirrored; below the maximum weight
// the weight goes up; at it the promotion gate.
//
// With analysis.mirror the first step mirrors the primary's traffic to the
// canary at weight 0, and the next one, measured on the mirrored requests,
// stops mirroring and takes the first weight step.
func (t *tick) advance() (Decision, bool) {
	st := t.st
	a := t.c.Spec.Analysis
	if st.Phase != api.PhaseWaitingPromotion && !st.Mirrored {
		out, ok := t.hooks(api.HookConfirmTrafficIncrease)
		if !ok {
			return t.needHooks(api.HookConfirmTrafficIncrease)
		}
		if !out.Passed {
			return t.wait(out.Halt), true
		}
	}
	if st.CanaryWeight >= a.MaxWeight {
		return t.promotionGate(nil)
	}
	next := st
	next.Phase = api.PhaseProgressing
	step := nextStepWeight(a, st.CanaryWeight)
	var mirror []Event
	switch {
	case a.Mirror && st.CanaryWeight == 0 && !t.obs.NoRouter && !st.Mirrored:
		next.Mirrored = true
		mirror = append(mirror, evMirrorStep(100, 0, true))
	case a.Mirror && st.CanaryWeight == 0 && st.Mirrored:
		next.Mirrored = false
		next.CanaryWeight = step
		mirror = append(mirror, evMirrorStep(100-step, step, false))
	default:
		next.CanaryWeight = min(100, st.CanaryWeight+step)
	}
	return t.transition(next, t.analysed(), t.starting(append([]Event{evAdvance(t.c, next.CanaryWeight)}, mirror...)...)...), true
}

// nextStepWeight is Flagger's nextStepWeight: stepWeight when set (it wins
// over stepWeights), else the distance to the next of stepWeights, never
// past 100.
func nextStepWeight(a *api.Analysis, current int) int {
	if a.StepWeight > 0 || len(a.StepWeights) == 0 {
		return a.StepWeight
	}
	maxStep := 100 - current
	if maxStep == 0 {
		return 1
	}
	if current == 0 {
		return min(maxStep, a.StepWeights[0])
	}
	for i := 0; i < len(a.StepWeights)-1; i++ {
		if a.StepWeights[i] == current {
			return min(maxStep, a.StepWeights[i+1]-current)
		}
	}
	return maxStep
}
