package notify_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"

	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/api/apitest"
)

// sink is a chat provider stand-in: it records request bodies per path.
type sink struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []req
	status int
}

type req struct {
	Path, Auth, ContentType, Body string
}

func newSink(t *testing.T, status int) *sink {
	t.Helper()
	s := &sink{status: status}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, req{Path: r.URL.Path, Auth: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type"), Body: string(b)})
		s.mu.Unlock()
		w.WriteHeader(s.status)
		if s.status >= 300 {
			// Echo the path back, as a careless server might: it must not
			// reach errors or logs.
			_, _ = fmt.Fprintf(w, "no_service for %s", r.URL.Path)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sink) requests() []req {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]req(nil), s.reqs...)
}

func (s *sink) bodies() []string {
	var out []string
	for _, r := range s.requests() {
		out = append(out, r.Body)
	}
	return out
}

// logBuffer captures a logr logger's lines.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.lines = append(b.lines, args)
	}, funcr.Options{})
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

func parseCanary(t *testing.T, extra string) *api.Canary {
	t.Helper()
	return apitest.Canary(t, "    interval: 1m\n    threshold: 5\n    maxWeight: 50\n    stepWeight: 5\n"+extra)
}
