package api

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRequestQueueRoundTrip(t *testing.T) {
	c := &Canary{Metadata: ObjectMeta{Name: "podinfo", Namespace: "test"}}
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	pending := []Request{
		{Action: "pause", RequestedBy: "Jane Doe <jane@example.com>", RequestedAt: at},
		{Action: "resume", RequestedBy: "Ops <ops@example.com>", RequestedAt: at.Add(time.Second)},
		{Action: "promote", RequestedBy: "Jane Doe <jane@example.com>", RequestedAt: at.Add(2 * time.Second)},
	}
	data, err := MarshalRequests(c, pending)
	if err != nil {
		t.Fatal(err)
	}
	want := "# Written by `gitcanary promote|abort|pause|resume`: pending requests, oldest first.\n" +
		"# Each pass of `gitcanary run` honours the first one and removes it.\n" +
		"apiVersion: gitcanary.dev/v1beta1\nkind: CanaryRequest\nmetadata:\n  name: podinfo\n  namespace: test\nspec:\n  requests:\n" +
		"  - action: pause\n    requestedBy: Jane Doe <jane@example.com>\n    requestedAt: \"2026-11-22T10:00:00Z\"\n" +
		"  - action: resume\n    requestedBy: Ops <ops@example.com>\n    requestedAt: \"2026-11-22T10:00:01Z\"\n" +
		"  - action: promote\n    requestedBy: Jane Doe <jane@example.com>\n    requestedAt: \"2026-11-22T10:00:02Z\"\n"
	if string(data) != want {
		t.Errorf("request.yaml:\n%s\nwant:\n%s", data, want)
	}
	got, err := UnmarshalRequests("request.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Action != "pause" || got[1].Action != "resume" || got[2].Action != "promote" || !got[2].RequestedAt.Equal(at.Add(2*time.Second)) {
		t.Errorf("queue: %+v", got)
	}
	if empty, err := MarshalRequests(c, nil); empty != nil || err != nil {
		t.Errorf("an empty queue has no file: %q %v", empty, err)
	}
	full := make([]Request, MaxRequests+1)
	if _, err := MarshalRequests(c, full); !errors.Is(err, ErrQueueFull) {
		t.Errorf("queue over %d: %v", MaxRequests, err)
	}
}

func TestRequestFileBeforeQueuesStillReads(t *testing.T) {
	old := "apiVersion: gitcanary.dev/v1beta1\nkind: CanaryRequest\nmetadata:\n  name: podinfo\n  namespace: test\nspec:\n  action: abort\n  requestedBy: Jane Doe <jane@example.com>\n  requestedAt: \"2026-11-22T10:00:00Z\"\n"
	got, err := UnmarshalRequests("request.yaml", []byte(old))
	if err != nil || len(got) != 1 || got[0].Action != "abort" || got[0].RequestedBy != "Jane Doe <jane@example.com>" {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestBadRequestFiles(t *testing.T) {
	base := "apiVersion: gitcanary.dev/v1beta1\nkind: CanaryRequest\nmetadata:\n  name: podinfo\n  namespace: test\nspec:\n  requests:\n  - action: pause\n    requestedBy: x\n    requestedAt: \"2026-11-22T10:00:00Z\"\n"
	for from, want := range map[string]string{
		"action: pause":       `request.yaml: spec.requests[0].action: must be one of promote, abort, pause, resume, got "rollback"`,
		"name: podinfo":       `request.yaml: metadata.name: must be a DNS-1123 label`,
		"namespace: test":     `request.yaml: metadata.namespace: must be a DNS-1123 label`,
		"kind: CanaryRequest": `request.yaml: kind: want CanaryRequest, got "CanaryStatus"`,
	} {
		to := map[string]string{"action: pause": "action: rollback", "name: podinfo": "name: a/b", "namespace: test": "namespace: \"t\\nx\"", "kind: CanaryRequest": "kind: CanaryStatus"}[from]
		_, err := UnmarshalRequests("request.yaml", []byte(strings.Replace(base, from, to, 1)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s → %s: error %v, want %q", from, to, err, want)
		}
	}
}

func FuzzUnmarshalRequests(f *testing.F) {
	f.Add([]byte("apiVersion: gitcanary.dev/v1beta1\nkind: CanaryRequest\nmetadata:\n  name: podinfo\n  namespace: test\nspec:\n  requests:\n  - action: pause\n"))
	f.Add([]byte("kind: CanaryRequest\nspec: {action: abort}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pending, err := UnmarshalRequests("request.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "request.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(pending) > MaxRequests {
			t.Fatalf("%d requests accepted", len(pending))
		}
		for _, rq := range pending {
			if rq.Action != "promote" && rq.Action != "abort" && rq.Action != "pause" && rq.Action != "resume" {
				t.Fatalf("action %q accepted", rq.Action)
			}
		}
	})
}
