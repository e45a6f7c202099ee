package machine

import "github.com/gitcanary/gitcanary/reconciler/api"

// advanceBlueGreen is the blue/green strategy (runBlueGreen; iterations
// without match, the only one for a provider without a router): the
// canary is tested through its own Service, and mirrors the primary's
// traffic with analysis.mirror, for the iterations; then, once the
// promotion gate lets it, all traffic goes to the canary ("Routing all
// traffic to canary", the iterations counter one past the end), and the
// next tick copies the target to the primary, which is thus updated while
// it serves nothing. A provider without a router has no traffic to switch:
// the gate leads to the copy.
func (t *tick) advanceBlueGreen() (Decision, bool) {
	a := t.c.Spec.Analysis
	if a.Strategy() != api.StrategyBlueGreen {
		return Decision{}, false
	}
	st := t.st
	switch {
	case st.Iterations < a.Iterations:
		next := st
		next.Phase = api.PhaseProgressing
		next.Iterations++
		var events []Event
		if a.Mirror && !t.obs.NoRouter && !st.Mirrored {
			next.Mirrored = true
			events = append(events, evStartMirroring())
		}
		events = append(events, evIteration(t.c, next.Iterations, a.Iterations))
		return t.transition(next, t.analysed(), t.starting(events...)...), true
	case st.Iterations == a.Iterations && !t.obs.NoRouter:
		return t.promotionGate(func() Decision {
			return t.transition(routedToCanary(t.c, st), t.analysed(), evRoutedToCanary(a))
		})
	case st.Iterations == a.Iterations:
		return t.promotionGate(nil)
	}
	// All traffic is on the canary: the gate let it through already, the
	// confirm-promotion hooks are asked again, as Flagger does.
	out, ok := t.hooks(api.HookConfirmPromotion)
	if !ok {
		return t.needHooks(api.HookConfirmPromotion)
	}
	if !out.Passed {
		return t.wait(out.Halt), true
	}
	return t.promote(evCopying(t.c, t.obs)), true
}

// routedToCanary is the status once blue/green routes all traffic to the
// canary: mirroring stops, the iterations counter goes one past the end.
func routedToCanary(c *api.Canary, st api.Status) api.Status {
	next := st
	next.Phase = api.PhaseProgressing
	next.Iterations = c.Spec.Analysis.Iterations + 1
	next.CanaryWeight = 100
	next.Mirrored = false
	return next
}

// evRoutedToCanary is the event of routing all traffic to the canary.
func evRoutedToCanary(a *api.Analysis) Event {
	if a.Mirror {
		return info("Stop traffic mirroring and route all traffic to canary")
	}
	return info("Routing all traffic to canary")
}
