package machine

import "github.com/gitcanary/gitcanary/reconciler/api"

// advanceAB is the A/B testing strategy (runAB; analysis.match with
// iterations): every iteration the router sends the requests that match
// to the canary (weight 100 of the matching requests) and the others to
// the primary; after the last one, the promotion gate.
func (t *tick) advanceAB() (Decision, bool) {
	a := t.c.Spec.Analysis
	if a.Strategy() != api.StrategyAB {
		return Decision{}, false
	}
	st := t.st
	if st.Iterations >= a.Iterations {
		return t.promotionGate(nil)
	}
	next := st
	next.Phase = api.PhaseProgressing
	next.CanaryWeight = 100
	next.Iterations++
	return t.transition(next, t.analysed(), t.starting(evIteration(t.c, next.Iterations, a.Iterations))...), true
}
