package webhooks_test

import (
	"context"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// TestPayloadPerHookType asserts the exact bytes each hook type receives:
// Flagger's field names and order, the phase Flagger sends for the type,
// the checksum, and the hook's metadata.
func TestPayloadPerHookType(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	cd := canaryWithHooks(t,
		hook("confirm-rollout", "gate", rc.URL+"/confirm-rollout")+
			hook("pre-rollout", "smoke", rc.URL+"/pre-rollout", `metadata: {type: bash, cmd: "curl -s http://podinfo-canary.test:9898/token"}`)+
			hook("", "load", rc.URL+"/rollout", `metadata: {cmd: "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/"}`)+
			hook("rollout", "typed", rc.URL+"/rollout-typed")+
			hook("confirm-traffic-increase", "step", rc.URL+"/confirm-traffic-increase")+
			hook("confirm-promotion", "promo", rc.URL+"/confirm-promotion")+
			hook("post-rollout", "done", rc.URL+"/post-rollout", `metadata: {channel: "#deploys"}`)+
			hook("rollback", "abort", rc.URL+"/rollback")+
			hook("event", "audit", rc.URL+"/event", `metadata: {eventType: ignored, team: web}`))
	const sum = "5f1c2e9a"
	now := time.Date(2026, 3, 1, 12, 0, 0, 123e6, time.UTC)
	c := fastCaller(webhooks.WithClock(func() time.Time { return now }))
	ctx := context.Background()

	// The rollback hook answers 200, which asks for a rollback; that is
	// fine here, only the payloads matter.
	runs := []struct {
		typ   string
		phase api.Phase
	}{
		{webhooks.ConfirmRollout, api.PhaseSucceeded},
		{webhooks.PreRollout, api.PhaseProgressing},
		{webhooks.Rollout, api.PhaseProgressing},
		{webhooks.ConfirmTrafficIncrease, api.PhaseProgressing},
		{webhooks.ConfirmPromotion, api.PhaseWaitingPromotion},
		{webhooks.PostRollout, api.PhaseFailed},
		{webhooks.Rollback, api.PhaseWaiting},
	}
	for _, r := range runs {
		if _, err := c.Gate(ctx, cd, r.typ, r.phase, sum); err != nil {
			t.Fatalf("%s: %v", r.typ, err)
		}
	}
	if err := c.Event(ctx, cd, api.PhaseProgressing, sum, "Advance podinfo.test canary weight 10", false); err != nil {
		t.Fatal(err)
	}

	want := []recorded{
		{"/confirm-rollout", "application/json", `{"name":"podinfo","namespace":"test","phase":"Succeeded","checksum":"5f1c2e9a"}`},
		{"/pre-rollout", "application/json", `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"5f1c2e9a","metadata":{"cmd":"curl -s http://podinfo-canary.test:9898/token","type":"bash"}}`},
		{"/rollout", "application/json", `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"5f1c2e9a","metadata":{"cmd":"hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/"}}`},
		{"/rollout-typed", "application/json", `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"5f1c2e9a"}`},
		{"/confirm-traffic-increase", "application/json", `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"5f1c2e9a"}`},
		{"/confirm-promotion", "application/json", `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"5f1c2e9a"}`},
		{"/post-rollout", "application/json", `{"name":"podinfo","namespace":"test","phase":"Failed","checksum":"5f1c2e9a","metadata":{"channel":"#deploys"}}`},
		{"/rollback", "application/json", `{"name":"podinfo","namespace":"test","phase":"Waiting","checksum":"5f1c2e9a"}`},
		{"/event", "application/json", `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"5f1c2e9a","metadata":{"eventMessage":"Advance podinfo.test canary weight 10","eventType":"Normal","team":"web","timestamp":"1772366400123"}}`},
	}
	got := rc.requests()
	if len(got) != len(want) {
		t.Fatalf("got %d requests, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestEventWebhookGlobalAndWarning(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	cd := canaryWithHooks(t, hook("", "load", rc.URL+"/rollout"))
	now := time.UnixMilli(1700000000000)
	c := fastCaller(webhooks.WithClock(func() time.Time { return now }), webhooks.WithEventWebhook(rc.URL+"/global"))
	err := c.Event(context.Background(), cd, api.PhaseFailed, "abc", "Canary failed! Scaling down podinfo.test", true)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"podinfo","namespace":"test","phase":"Failed","checksum":"abc","metadata":{"eventMessage":"Canary failed! Scaling down podinfo.test","eventType":"Warning","timestamp":"1700000000000"}}`
	got := rc.requests()
	if len(got) != 1 || got[0].Path != "/global" || got[0].Body != want {
		t.Fatalf("got %+v, want one POST /global with %s", got, want)
	}

	// A canary with its own event hook does not use the global one.
	rc2 := newReceiver(t, nil)
	own := canaryWithHooks(t, hook("event", "audit", rc2.URL+"/own"))
	if err := c.Event(context.Background(), own, api.PhaseProgressing, "abc", "x", false); err != nil {
		t.Fatal(err)
	}
	if rc.count("/global") != 1 || rc2.count("/own") != 1 {
		t.Fatalf("global got %d, own got %d; want 1 and 1", rc.count("/global"), rc2.count("/own"))
	}
}

func TestParsePayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     webhooks.Payload
		err      bool
	}{
		{name: "flagger", in: `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"x","metadata":{"cmd":"ls"}}`,
			want: webhooks.Payload{Name: "podinfo", Namespace: "test", Phase: "Progressing", Checksum: "x", Metadata: map[string]string{"cmd": "ls"}}},
		{name: "unknown fields ignored", in: `{"name":"a","namespace":"b","future":1}`, want: webhooks.Payload{Name: "a", Namespace: "b"}},
		{name: "not json", in: `name=podinfo`, err: true},
		{name: "null", in: ` null `, err: true},
		{name: "array", in: `[]`, err: true},
		{name: "trailing data", in: `{"name":"a"}{"name":"b"}`, err: true},
		{name: "wrong type", in: `{"metadata":{"a":1}}`, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := webhooks.ParsePayload([]byte(tt.in))
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if !tt.err && !equalPayload(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func equalPayload(a, b webhooks.Payload) bool {
	if a.Name != b.Name || a.Namespace != b.Namespace || a.Phase != b.Phase || a.Checksum != b.Checksum || len(a.Metadata) != len(b.Metadata) {
		return false
	}
	for k, v := range a.Metadata {
		if w, ok := b.Metadata[k]; !ok || w != v {
			return false
		}
	}
	return true
}
