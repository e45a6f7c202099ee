package api

// Webhook types, Flagger's names. A webhook without a type is a rollout
// hook.
const (
	// HookConfirmRollout hooks gate the start of a rollout: a new revision
	// waits (phase Waiting) until they all succeed.
	HookConfirmRollout = "confirm-rollout"
	// HookPreRollout hooks run once, before traffic is routed to the canary;
	// a failure is a failed check.
	HookPreRollout = "pre-rollout"
	// HookRollout hooks run at every analysis step before the metric
	// checks; a failure is a failed check.
	HookRollout = "rollout"
	// HookConfirmTrafficIncrease hooks gate every weight increase.
	HookConfirmTrafficIncrease = "confirm-traffic-increase"
	// HookConfirmPromotion hooks gate the promotion (phase WaitingPromotion).
	HookConfirmPromotion = "confirm-promotion"
	// HookPostRollout hooks run once the rollout succeeded or failed; their
	// outcome changes nothing.
	HookPostRollout = "post-rollout"
	// HookRollback hooks are asked at every step of an active rollout; one
	// answering with success rolls the canary back.
	HookRollback = "rollback"
	// HookEvent hooks receive every event of the canary.
	HookEvent = "event"
)

// HookTypes lists the webhook types, in the order a rollout meets them.
var HookTypes = []string{HookConfirmRollout, HookPreRollout, HookRollout, HookConfirmTrafficIncrease, HookConfirmPromotion, HookPostRollout, HookRollback, HookEvent}

// HookType returns the webhook's type, HookRollout when it has none.
func (h Hook) HookType() string {
	if h.Type == "" {
		return HookRollout
	}
	return h.Type
}

// Hooks returns the canary's webhooks of type typ, in spec order.
func (c *Canary) Hooks(typ string) []Hook {
	a := c.Spec.Analysis
	if a == nil {
		return nil
	}
	var out []Hook
	for _, h := range a.Webhooks {
		if h.HookType() == typ {
			out = append(out, h)
		}
	}
	return out
}
