package reconciler

import (
	"context"
	"fmt"

	"github.com/gitcanary/gitcanary/analysis/notify"
	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/machine"
)

// Webhooks runs a canary's Flagger webhooks of one type (*webhooks.Caller).
type Webhooks interface {
	Gate(ctx context.Context, c *api.Canary, typ string, phase api.Phase, checksum string) (webhooks.Outcome, error)
}

// Dispatcher delivers a transition's alerts and events
// (*notify.Dispatcher).
type Dispatcher interface {
	Dispatch(ctx context.Context, cat *notify.Catalog, t notify.Transition)
}

// WithWebhooks sets what calls the canaries' webhooks (default: a
// webhooks.Caller with the default HTTP client).
func WithWebhooks(w Webhooks) Option { return func(r *Reconciler) { r.hooks = w } }

// WithDispatcher sets where each pushed transition is notified (default:
// nowhere).
func WithDispatcher(d Dispatcher) Option { return func(r *Reconciler) { r.dispatcher = d } }

// runHooks runs the canary's hooks of type typ and adds their outcome to
// obs. Each type runs once per pass: a retry after a rejected push reuses
// the outcome, as it reuses the metric checks. The error is not a hook's
// verdict (ctx ended).
func (r *Reconciler) runHooks(ctx context.Context, c *api.Canary, st api.Status, obs *machine.Observation, typ string) error {
	ran := r.hookRuns[c.ID()]
	if ran == nil {
		ran = map[string]webhooks.Outcome{}
		r.hookRuns[c.ID()] = ran
	}
	out, ok := ran[typ]
	if !ok {
		var err error
		if out, err = r.hooks.Gate(ctx, c, typ, st.Phase, obs.Revision); err != nil {
			return fmt.Errorf("%s webhooks: %w", typ, err)
		}
		ran[typ] = out
		r.logHooks(c, out)
	}
	if obs.Hooks == nil {
		obs.Hooks = map[string]machine.HookOutcome{}
	}
	obs.Hooks[typ] = hookOutcome(out)
	return nil
}

// hookOutcome is what the machine needs of a run of hooks.
func hookOutcome(out webhooks.Outcome) machine.HookOutcome {
	h := machine.HookOutcome{Passed: out.Passed, Halt: out.Halt}
	for _, res := range out.Results {
		if res.Err == nil && res.Text != "" {
			h.Texts = append(h.Texts, res.Text)
		}
	}
	return h
}

// logHooks logs what the hooks said. A closed confirm-traffic-increase gate
// is logged at the default level: it is a wait that no commit records.
func (r *Reconciler) logHooks(c *api.Canary, out webhooks.Outcome) {
	log := r.log.WithValues("canary", c.Key(), "type", out.Type)
	for _, res := range out.Results {
		if res.Err != nil && out.Type == webhooks.ConfirmTrafficIncrease {
			log.Info(res.Text, "hook", res.Hook.Name)
			continue
		}
		log.V(1).Info(res.Text, "hook", res.Hook.Name, "error", errString(res.Err))
	}
}

// afterPush acts on the transitions a push landed: each is dispatched
// (alerts, Flux events, event webhooks), and a rollout that just succeeded
// or failed runs its post-rollout hooks, whose outcome is only logged.
func (r *Reconciler) afterPush(ctx context.Context, cat *notify.Catalog, done []transition) {
	for _, t := range done {
		if r.dispatcher != nil {
			nt := notify.Transition{Canary: t.canary, Status: t.status, Revision: t.revision, Events: t.events}
			if t.status.Phase == api.PhaseFailed {
				nt.Reason = t.status.LastFailure
			}
			r.dispatcher.Dispatch(ctx, cat, nt)
		}
		phase := t.status.Phase
		if phase == t.from || (phase != api.PhaseSucceeded && phase != api.PhaseFailed) || len(webhooks.OfType(t.canary, webhooks.PostRollout)) == 0 {
			continue
		}
		log := r.log.WithValues("canary", t.canary.Key(), "type", webhooks.PostRollout)
		out, err := r.hooks.Gate(ctx, t.canary, webhooks.PostRollout, phase, t.revision)
		if err != nil {
			log.Error(err, "post-rollout webhooks")
			continue
		}
		for _, res := range out.Results {
			if res.Err != nil {
				log.Error(res.Err, res.Text, "hook", res.Hook.Name)
			} else {
				log.Info(res.Text, "hook", res.Hook.Name)
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
