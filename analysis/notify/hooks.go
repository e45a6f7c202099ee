package notify

import (
	"context"

	"github.com/gitcanary/gitcanary/analysis/webhooks"
)

// EventHooks is a Recorder sending every event to the canary's Flagger
// event webhooks (hooks of type event), or to the Caller's global event
// webhook for canaries without any.
type EventHooks struct {
	Caller *webhooks.Caller
}

// Record sends the event with the phase after the transition and the
// revision as checksum.
func (h EventHooks) Record(ctx context.Context, t Transition, e Event) error {
	return h.Caller.Event(ctx, t.Canary, t.Status.Phase, t.Revision, e.Text, e.Warning)
}
