package webhooks

import (
	"context"
	"errors"
	"fmt"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Event sends one event of the canary to its hooks of type event, or, when
// it has none, to the URL of WithEventWebhook (as a hook named "events"), as
// Flagger does for every event it records. phase is the canary's phase now,
// checksum the revision under analysis; the payload carries the text as
// metadata eventMessage, eventType Normal or Warning and a timestamp in Unix
// milliseconds.
//
// Every hook is called even when one fails; the error joins one error per
// failed hook. Event hooks never change a rollout: log the error.
func (c *Caller) Event(ctx context.Context, cd *api.Canary, phase api.Phase, checksum, text string, warning bool) error {
	hooks := OfType(cd, Event)
	if len(hooks) == 0 && c.eventURL != "" {
		hooks = []api.Hook{{Type: Event, Name: "events", URL: c.eventURL}}
	}
	var errs []error
	for _, h := range hooks {
		p := EventPayload(cd.Metadata.Name, cd.Metadata.Namespace, string(phase), checksum, h.Metadata, text, warning, c.now())
		if err := c.Call(ctx, h, p); err != nil {
			errs = append(errs, fmt.Errorf("event hook %s: %w", h.Name, err))
		}
	}
	return errors.Join(errs...)
}
