package notify_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis/notify"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

func fluxRecorder(t *testing.T, address string) *notify.FluxEvents {
	t.Helper()
	f, err := notify.NewFluxEvents(address)
	if err != nil {
		t.Fatal(err)
	}
	f.Instance = "gitcanary-7d9f"
	f.Now = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	f.Backoff = time.Millisecond
	return f
}

// TestFluxEventsBody asserts the JSON notification-controller's /events
// receiver decodes into an eventv1.Event.
func TestFluxEventsBody(t *testing.T) {
	t.Parallel()
	s := newSink(t, http.StatusAccepted)
	f := fluxRecorder(t, s.URL+"/")
	c := parseCanary(t, "")
	tr := notify.Transition{Canary: c, Status: api.Status{Phase: api.PhaseFailed}, Revision: "5f1c2e9a"}
	if err := f.Record(context.Background(), tr, notify.Event{Text: "Canary failed! Scaling down podinfo.test", Warning: true}); err != nil {
		t.Fatal(err)
	}
	tr.Status.Phase = api.PhaseProgressing
	if err := f.Record(context.Background(), tr, notify.Event{Text: "Advance podinfo.test canary weight 5"}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"involvedObject":{"kind":"Canary","namespace":"test","name":"podinfo","apiVersion":"gitcanary.dev/v1beta1"},"severity":"error","timestamp":"2026-03-01T12:00:00Z","message":"Canary failed! Scaling down podinfo.test","reason":"Failed","metadata":{"gitcanary.dev/revision":"5f1c2e9a"},"reportingController":"gitcanary","reportingInstance":"gitcanary-7d9f"}`,
		`{"involvedObject":{"kind":"Canary","namespace":"test","name":"podinfo","apiVersion":"gitcanary.dev/v1beta1"},"severity":"info","timestamp":"2026-03-01T12:00:00Z","message":"Advance podinfo.test canary weight 5","reason":"Progressing","metadata":{"gitcanary.dev/revision":"5f1c2e9a"},"reportingController":"gitcanary","reportingInstance":"gitcanary-7d9f"}`,
	}
	got := s.bodies()
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r := s.requests()[0]; r.Path != "/" || r.ContentType != "application/json" {
		t.Fatalf("request %+v", r)
	}
}

func TestFluxEventsStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status, wantCalls int
		wantErr           bool
	}{
		{http.StatusTooManyRequests, 1, false}, // duplicate event: done
		{http.StatusServiceUnavailable, 3, true},
		{http.StatusBadRequest, 1, true},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			s := newSink(t, tt.status)
			f := fluxRecorder(t, s.URL+"/")
			err := f.Record(context.Background(), notify.Transition{Canary: parseCanary(t, "")}, notify.Event{Text: "x"})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if n := len(s.requests()); n != tt.wantCalls {
				t.Fatalf("%d calls, want %d", n, tt.wantCalls)
			}
		})
	}
}
