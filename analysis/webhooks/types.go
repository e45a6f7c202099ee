package webhooks

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Hook types, Flagger's names (the API's, see api.HookTypes). An empty
// type is Rollout.
const (
	ConfirmRollout         = api.HookConfirmRollout
	PreRollout             = api.HookPreRollout
	Rollout                = api.HookRollout
	ConfirmTrafficIncrease = api.HookConfirmTrafficIncrease
	ConfirmPromotion       = api.HookConfirmPromotion
	PostRollout            = api.HookPostRollout
	Rollback               = api.HookRollback
	Event                  = api.HookEvent
)

// Types lists the hook types gitcanary knows, in the order a rollout meets
// them.
var Types = api.HookTypes

// TypeOf returns the hook's type, Rollout when it has none.
func TypeOf(h api.Hook) string { return h.HookType() }

// OfType returns the canary's hooks of type typ, in spec order.
func OfType(c *api.Canary, typ string) []api.Hook { return c.Hooks(typ) }

// PayloadPhase returns the phase Flagger sends to a hook of type typ when
// the canary is in phase current: confirm-rollout, rollback and event hooks
// get the current phase, post-rollout hooks the outcome (current is then
// Succeeded or Failed), the others Progressing.
func PayloadPhase(typ string, current api.Phase) api.Phase {
	switch typ {
	case ConfirmRollout, Rollback, Event, PostRollout:
		return current
	}
	return api.PhaseProgressing
}

// Check validates the canary's webhooks and returns one *api.FieldError per
// problem, joined; nil when they are fine.
func Check(c *api.Canary) error {
	a := c.Spec.Analysis
	if a == nil {
		return nil
	}
	var errs []error
	obj := fmt.Sprintf("%s %s/%s", api.KindCanary, c.Metadata.Namespace, c.Metadata.Name)
	add := func(i int, field, format string, args ...any) {
		errs = append(errs, &api.FieldError{
			Source: c.Source,
			Object: obj,
			Field:  fmt.Sprintf("spec.analysis.webhooks[%d].%s", i, field),
			Msg:    fmt.Sprintf(format, args...),
		})
	}
	seen := map[string]bool{}
	for i, h := range a.Webhooks {
		if h.Type != "" && !slices.Contains(Types, h.Type) {
			add(i, "type", "unknown hook type %q (known: %v)", h.Type, Types)
		}
		if h.Name == "" {
			add(i, "name", "is required")
		} else if seen[h.Name] {
			add(i, "name", "duplicate hook name %q", h.Name)
		}
		seen[h.Name] = true
		if h.URL == "" {
			add(i, "url", "is required")
		} else if _, err := parseURL(h.URL); err != nil {
			add(i, "url", "%v", err)
		}
		if h.Retries < 0 {
			add(i, "retries", "must not be negative, got %d", h.Retries)
		}
		if h.Timeout.Duration < 0 {
			add(i, "timeout", "must not be negative, got %s", h.Timeout.Duration)
		}
	}
	return errors.Join(errs...)
}
