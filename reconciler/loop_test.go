package reconciler

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/machine"
)

// TestLoopStopsAfterAStalledPass: a pass that would never end (here a
// metrics server that never answers) is cut ShutdownTimeout after the
// signal, nothing half-made is pushed, and no new pass starts, although
// the pass took longer than the interval. The loop used to ignore the
// signal inside a pass, and to pick at random between stopping and
// another pass.
func TestLoopStopsAfterAStalledPass(t *testing.T) {
	w := newWorld(t, fixture)
	w.pass(0)
	bumpImage(w, "6.0.1")
	w.pass(tick)
	w.pass(tick) // weight 10: the next pass measures
	w.now = w.now.Add(tick)
	head := w.subject()
	ctx, cancel := context.WithCancel(context.Background())
	passes := 0
	w.rec.measure = func(mctx context.Context, _ *api.Canary, _ analysis.TemplateLookup, _ time.Time) ([]machine.Check, error) {
		passes++
		cancel() // SIGTERM while measuring...
		<-mctx.Done()
		return nil, context.Cause(mctx) // ...and the metrics server never answers
	}
	w.rec.opts.Interval = time.Millisecond
	w.rec.opts.ShutdownTimeout = 200 * time.Millisecond
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- w.rec.Loop(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Loop did not stop")
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("the pass was cut after %s, before the shutdown timeout", took)
	}
	if passes != 1 {
		t.Errorf("%d passes measured after the signal, want the one in flight only", passes)
	}
	if got := w.subject(); got != head && !strings.HasPrefix(got, "Halt") {
		t.Errorf("last commit %q", got)
	}
	if !strings.Contains(w.logs.String(), "shutdown timeout") {
		t.Errorf("the cut is not logged:\n%s", w.logs)
	}
}

func TestHealth(t *testing.T) {
	var h health
	now := time.Unix(1000, 0)
	mux := http.NewServeMux()
	h.register(mux, time.Minute, func() time.Time { return now })
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	h.started(now)
	h.ended(PassResult{}, errors.New("fetch: connection refused"))
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "connection refused") {
		t.Errorf("readyz before any fetch: %d %q", code, body)
	}
	h.started(now)
	h.ended(PassResult{Head: plumbing.NewHash("0123456789012345678901234567890123456789")}, nil)
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("readyz after a fetch: %d", code)
	}
	h.started(now)
	now = now.Add(59 * time.Second)
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz during a pass: %d", code)
	}
	now = now.Add(2 * time.Second)
	if code, body := get("/healthz"); code != 503 || !strings.Contains(body, "a pass has been running for 1m1s") {
		t.Errorf("healthz with a stuck pass: %d %q", code, body)
	}
}
