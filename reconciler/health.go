package reconciler

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// health is what /healthz and /readyz report: ready once a pass has
// fetched the branch; alive unless a pass has been running for longer than
// any pass should (a stalled remote, a stuck render).
type health struct {
	mu      sync.Mutex
	fetched bool      // a pass has fetched the branch
	running time.Time // when the pass in flight started; zero when none
	last    error     // the last pass's error
}

func (h *health) started(at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.running = at
}

func (h *health) ended(res PassResult, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.running = time.Time{}
	h.last = err
	if !res.Head.IsZero() {
		h.fetched = true
	}
}

// register serves /healthz and /readyz on mux.
func (h *health) register(mux *http.ServeMux, stuckAfter time.Duration, now func() time.Time) {
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		h.mu.Lock()
		running := h.running
		h.mu.Unlock()
		if !running.IsZero() && now().Sub(running) > stuckAfter {
			http.Error(w, fmt.Sprintf("a pass has been running for %s", now().Sub(running).Round(time.Second)), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		h.mu.Lock()
		fetched, last := h.fetched, h.last
		h.mu.Unlock()
		if !fetched {
			msg := "the branch was not fetched yet"
			if last != nil {
				msg += ": " + last.Error()
			}
			http.Error(w, msg, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
}
