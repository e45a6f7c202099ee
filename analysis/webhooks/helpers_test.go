package webhooks_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/api/apitest"
)

// receiver is a webhook receiver stand-in: it records every request and
// answers with what answer says for the path.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []recorded
	answer func(path string, n int) (int, string) // n counts requests to path
	counts map[string]int
}

type recorded struct {
	Path, ContentType, Body string
}

func newReceiver(t *testing.T, answer func(path string, n int) (int, string)) *receiver {
	t.Helper()
	rc := &receiver{answer: answer, counts: map[string]int{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.counts[r.URL.Path]++
		n := rc.counts[r.URL.Path]
		rc.bodies = append(rc.bodies, recorded{Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Body: string(b)})
		rc.mu.Unlock()
		code, text := http.StatusOK, ""
		if rc.answer != nil {
			code, text = rc.answer(r.URL.Path, n)
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, text)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]recorded(nil), rc.bodies...)
}

func (rc *receiver) count(path string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.counts[path]
}

// canaryWithHooks returns podinfo.test with the given webhooks YAML (a list
// indented for spec.analysis.webhooks).
func canaryWithHooks(t *testing.T, hooks string) *api.Canary {
	t.Helper()
	return apitest.Canary(t, "    interval: 1m\n    threshold: 5\n    maxWeight: 50\n    stepWeight: 10\n    webhooks:\n"+hooks)
}

func hook(typ, name, url string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "      - name: %s\n        url: %s\n", name, url)
	if typ != "" {
		fmt.Fprintf(&b, "        type: %s\n", typ)
	}
	for _, e := range extra {
		fmt.Fprintf(&b, "        %s\n", e)
	}
	return b.String()
}

// fastCaller returns a Caller whose backoff is short enough for tests.
func fastCaller(opts ...webhooks.Option) *webhooks.Caller {
	return webhooks.New(append([]webhooks.Option{webhooks.WithBackoff(5*time.Millisecond, 20*time.Millisecond)}, opts...)...)
}
