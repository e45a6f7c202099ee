package webhooks_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// TestGateTexts checks Flagger's event texts for every hook type, passing
// and failing, and where a run stops.
func TestGateTexts(t *testing.T) {
	t.Parallel()
	// Paths under /ok answer 200, under /no 403 "Forbidden".
	rc := newReceiver(t, func(path string, _ int) (int, string) {
		if path[:3] == "/ok" {
			return 200, "OK"
		}
		return 403, "Forbidden"
	})
	ok, no := rc.URL+"/ok", rc.URL+"/no"
	tests := []struct {
		name   string
		typ    string
		hooks  string
		passed bool
		halt   string
		msgs   []webhooks.Message
	}{
		{name: "no hooks passes", typ: webhooks.PreRollout, hooks: hook("", "load", ok), passed: true},
		{name: "pre-rollout passes", typ: webhooks.PreRollout,
			hooks:  hook("pre-rollout", "smoke", ok) + hook("pre-rollout", "db", ok),
			passed: true,
			msgs:   []webhooks.Message{{Text: "Pre-rollout check smoke passed"}, {Text: "Pre-rollout check db passed"}}},
		{name: "pre-rollout fails and stops", typ: webhooks.PreRollout,
			hooks: hook("pre-rollout", "smoke", ok) + hook("pre-rollout", "db", no) + hook("pre-rollout", "never", ok),
			halt:  "Halt podinfo.test advancement pre-rollout check db failed Forbidden",
			msgs: []webhooks.Message{{Text: "Pre-rollout check smoke passed"},
				{Text: "Halt podinfo.test advancement pre-rollout check db failed Forbidden", Warning: true}}},
		{name: "rollout passes silently", typ: webhooks.Rollout, hooks: hook("", "load", ok) + hook("rollout", "more", ok), passed: true},
		{name: "rollout fails", typ: webhooks.Rollout, hooks: hook("", "load", no),
			halt: "Halt podinfo.test advancement external check load failed Forbidden",
			msgs: []webhooks.Message{{Text: "Halt podinfo.test advancement external check load failed Forbidden", Warning: true}}},
		{name: "confirm-rollout waits", typ: webhooks.ConfirmRollout, hooks: hook("confirm-rollout", "gate", no),
			halt: "Halt podinfo.test advancement waiting for approval gate",
			msgs: []webhooks.Message{{Text: "Halt podinfo.test advancement waiting for approval gate", Warning: true}}},
		{name: "confirm-rollout passes", typ: webhooks.ConfirmRollout, hooks: hook("confirm-rollout", "gate", ok), passed: true,
			msgs: []webhooks.Message{{Text: "Confirm-rollout check gate passed"}}},
		{name: "confirm-traffic-increase waits", typ: webhooks.ConfirmTrafficIncrease, hooks: hook("confirm-traffic-increase", "step", no),
			halt: "Halt podinfo.test advancement waiting for traffic increase approval step",
			msgs: []webhooks.Message{{Text: "Halt podinfo.test advancement waiting for traffic increase approval step", Warning: true}}},
		{name: "confirm-traffic-increase passes", typ: webhooks.ConfirmTrafficIncrease, hooks: hook("confirm-traffic-increase", "step", ok), passed: true,
			msgs: []webhooks.Message{{Text: "Confirm-traffic-increase check step passed"}}},
		{name: "confirm-promotion waits", typ: webhooks.ConfirmPromotion, hooks: hook("confirm-promotion", "promo", no),
			halt: "Halt podinfo.test advancement waiting for promotion approval promo",
			msgs: []webhooks.Message{{Text: "Halt podinfo.test advancement waiting for promotion approval promo", Warning: true}}},
		{name: "confirm-promotion passes", typ: webhooks.ConfirmPromotion, hooks: hook("confirm-promotion", "promo", ok), passed: true,
			msgs: []webhooks.Message{{Text: "Confirm-promotion check promo passed"}}},
		{name: "post-rollout", typ: webhooks.PostRollout, hooks: hook("post-rollout", "notify", ok) + hook("post-rollout", "cleanup", no),
			halt: "Post-rollout hook cleanup failed Forbidden",
			msgs: []webhooks.Message{{Text: "Post-rollout check notify passed"}, {Text: "Post-rollout hook cleanup failed Forbidden", Warning: true}}},
		{name: "rollback not signalled", typ: webhooks.Rollback, hooks: hook("rollback", "abort", no), passed: true,
			msgs: []webhooks.Message{{Text: "Rollback hook abort not signaling a rollback"}}},
		{name: "rollback signalled", typ: webhooks.Rollback, hooks: hook("rollback", "abort", no) + hook("rollback", "panic", ok) + hook("rollback", "never", ok),
			halt: "Rolling back podinfo.test manual webhook invoked",
			msgs: []webhooks.Message{
				{Text: "Rollback hook abort not signaling a rollback"},
				{Text: "Rollback check panic passed", Warning: true},
				{Text: "Rolling back podinfo.test manual webhook invoked", Warning: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cd := canaryWithHooks(t, tt.hooks)
			out, err := fastCaller().Gate(context.Background(), cd, tt.typ, api.PhaseProgressing, "x")
			if err != nil {
				t.Fatal(err)
			}
			if out.Passed != tt.passed || out.Halt != tt.halt {
				t.Errorf("passed=%v halt=%q, want passed=%v halt=%q", out.Passed, out.Halt, tt.passed, tt.halt)
			}
			if got := out.Messages(); !reflect.DeepEqual(got, tt.msgs) {
				t.Errorf("messages\n got %#v\nwant %#v", got, tt.msgs)
			}
		})
	}
	if rc.count("/ok") == 0 || rc.count("/no") == 0 {
		t.Fatal("receiver was not called")
	}
}

func TestGateFailedResults(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(string, int) (int, string) { return 500, "boom" })
	cd := canaryWithHooks(t, hook("", "load", rc.URL))
	out, err := fastCaller().Gate(context.Background(), cd, webhooks.Rollout, api.PhaseProgressing, "x")
	if err != nil {
		t.Fatal(err)
	}
	failed := out.Failed()
	if out.Passed || len(failed) != 1 || failed[0].Hook.Name != "load" {
		t.Fatalf("got %+v", out)
	}
	var se *webhooks.StatusError
	if !errors.As(failed[0].Err, &se) || se.Code != 500 || se.Body != "boom" {
		t.Fatalf("err = %#v", failed[0].Err)
	}
}

func TestGateErrors(t *testing.T) {
	t.Parallel()
	cd := canaryWithHooks(t, hook("event", "audit", "http://127.0.0.1:1/"))
	for _, typ := range []string{webhooks.Event, "pre-promotion"} {
		if _, err := fastCaller().Gate(context.Background(), cd, typ, api.PhaseProgressing, "x"); !errors.Is(err, webhooks.ErrUnknownType) {
			t.Errorf("type %q: want ErrUnknownType, got %v", typ, err)
		}
	}
	rc := newReceiver(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cd = canaryWithHooks(t, hook("pre-rollout", "smoke", rc.URL))
	if _, err := fastCaller().Gate(ctx, cd, webhooks.PreRollout, api.PhaseProgressing, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	cd := canaryWithHooks(t, hook("pre-promotion", "a", "http://x/")+hook("", "a", "x/")+hook("", "", "")+"        retries: -1\n")
	err := webhooks.Check(cd)
	want := "apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.webhooks[0].type: unknown hook type \"pre-promotion\" (known: [confirm-rollout pre-rollout rollout confirm-traffic-increase confirm-promotion post-rollout rollback event])\n" +
		"apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.webhooks[1].name: duplicate hook name \"a\"\n" +
		"apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.webhooks[1].url: invalid hook url \"x/\": want an absolute http or https URL\n" +
		"apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.webhooks[2].name: is required\n" +
		"apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.webhooks[2].url: is required\n" +
		"apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.webhooks[2].retries: must not be negative, got -1"
	if err == nil || err.Error() != want {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
	if err := webhooks.Check(canaryWithHooks(t, hook("", "load", "http://loadtester.test/"))); err != nil {
		t.Fatal(err)
	}
}
