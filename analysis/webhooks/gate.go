package webhooks

import (
	"context"
	"errors"
	"fmt"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// ErrUnknownType is returned by Gate for a type it does not run.
var ErrUnknownType = errors.New("unknown hook type")

// Result is the outcome of one hook.
type Result struct {
	// Hook is the hook that was called.
	Hook api.Hook
	// Err is nil when the hook answered with a status up to 202.
	Err error
	// Text is Flagger's event text for this outcome ("Pre-rollout check
	// smoke passed"); empty when Flagger records none (a passing rollout
	// hook).
	Text string
	// Warning is true for a Warning event.
	Warning bool
}

// Message is one event text with its type, what the reconciler logs and
// commits.
type Message struct {
	Text    string
	Warning bool
}

// Outcome is the result of running all the hooks of one type.
type Outcome struct {
	// Type is the hook type that was run.
	Type string
	// Results has one entry per hook called, in spec order. Like Flagger,
	// Gate stops at the first hook that decides: the first failure, or for
	// rollback hooks the first success.
	Results []Result
	// Passed is true when the rollout may go on: every hook succeeded (also
	// when there is none), or for rollback hooks, none asked for a rollback.
	Passed bool
	// Halt is Flagger's event text for why it may not, empty when Passed:
	// "Halt podinfo.test advancement pre-rollout check smoke failed ...",
	// "Halt podinfo.test advancement waiting for approval gate",
	// "Rolling back podinfo.test manual webhook invoked".
	Halt string
}

// Failed returns the results of the hooks that answered with an error.
func (o Outcome) Failed() []Result {
	var out []Result
	for _, r := range o.Results {
		if r.Err != nil {
			out = append(out, r)
		}
	}
	return out
}

// Messages returns the events of the run in order: each hook's text, then
// for rollback hooks the "Rolling back" event.
func (o Outcome) Messages() []Message {
	var out []Message
	for _, r := range o.Results {
		if r.Text != "" {
			out = append(out, Message{Text: r.Text, Warning: r.Warning})
		}
	}
	if o.Type == Rollback && !o.Passed {
		out = append(out, Message{Text: o.Halt, Warning: true})
	}
	return out
}

// Gate runs the canary's hooks of type typ in spec order and reports
// whether the rollout may go on, with Flagger's event texts.
//
// phase is the canary's phase now (for post-rollout hooks, the outcome:
// Succeeded or Failed); PayloadPhase turns it into the phase the hooks
// receive. checksum is the revision under analysis. A canary without hooks
// of the type passes.
//
// The error is not a hook's verdict: it is ErrUnknownType for the event type
// (use Event) or a type gitcanary does not know, or ctx's error when ctx
// ended during the run; the outcome then holds the hooks called so far and
// must not be acted on.
func (c *Caller) Gate(ctx context.Context, cd *api.Canary, typ string, phase api.Phase, checksum string) (Outcome, error) {
	t, ok := texts[typ]
	if !ok {
		return Outcome{Type: typ}, fmt.Errorf("%w %q", ErrUnknownType, typ)
	}
	out := Outcome{Type: typ, Passed: true}
	key := cd.Key()
	p := Payload{
		Name:      cd.Metadata.Name,
		Namespace: cd.Metadata.Namespace,
		Phase:     string(PayloadPhase(typ, phase)),
		Checksum:  checksum,
	}
	for _, h := range OfType(cd, typ) {
		p.Metadata = h.Metadata
		err := c.Call(ctx, h, p)
		if ctx.Err() != nil {
			return out, fmt.Errorf("%s hook %s: %w", typ, h.Name, context.Cause(ctx))
		}
		r := Result{Hook: h, Err: err}
		decides := err != nil
		if typ == Rollback {
			decides = err == nil
		}
		if err == nil {
			r.Text, r.Warning = t.pass(h.Name), typ == Rollback
		} else {
			r.Text, r.Warning = t.fail(key, h.Name, err), typ != Rollback
		}
		out.Results = append(out.Results, r)
		if decides {
			out.Passed = false
			out.Halt = r.Text
			if typ == Rollback {
				out.Halt = fmt.Sprintf("Rolling back %s manual webhook invoked", key)
			}
			break
		}
	}
	return out, nil
}

// hookTexts are Flagger's event texts for one hook type.
type hookTexts struct {
	pass func(hook string) string
	fail func(key, hook string, err error) string
}

var texts = map[string]hookTexts{
	ConfirmRollout: {
		pass: func(h string) string { return fmt.Sprintf("Confirm-rollout check %s passed", h) },
		fail: func(k, h string, _ error) string {
			return fmt.Sprintf("Halt %s advancement waiting for approval %s", k, h)
		},
	},
	PreRollout: {
		pass: func(h string) string { return fmt.Sprintf("Pre-rollout check %s passed", h) },
		fail: func(k, h string, err error) string {
			return fmt.Sprintf("Halt %s advancement pre-rollout check %s failed %v", k, h, err)
		},
	},
	Rollout: {
		pass: func(string) string { return "" },
		fail: func(k, h string, err error) string {
			return fmt.Sprintf("Halt %s advancement external check %s failed %v", k, h, err)
		},
	},
	ConfirmTrafficIncrease: {
		pass: func(h string) string { return fmt.Sprintf("Confirm-traffic-increase check %s passed", h) },
		fail: func(k, h string, _ error) string {
			return fmt.Sprintf("Halt %s advancement waiting for traffic increase approval %s", k, h)
		},
	},
	ConfirmPromotion: {
		pass: func(h string) string { return fmt.Sprintf("Confirm-promotion check %s passed", h) },
		fail: func(k, h string, _ error) string {
			return fmt.Sprintf("Halt %s advancement waiting for promotion approval %s", k, h)
		},
	},
	PostRollout: {
		pass: func(h string) string { return fmt.Sprintf("Post-rollout check %s passed", h) },
		fail: func(_, h string, err error) string { return fmt.Sprintf("Post-rollout hook %s failed %v", h, err) },
	},
	Rollback: {
		pass: func(h string) string { return fmt.Sprintf("Rollback check %s passed", h) },
		fail: func(_, h string, _ error) string { return fmt.Sprintf("Rollback hook %s not signaling a rollback", h) },
	},
}
