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

// parseCanary parses one Canary document, failing the test on error.
func parseCanary(t *testing.T, doc string) *api.Canary {
	t.Helper()
	cs, err := api.ParseCanaries("apps/podinfo/canary.yaml", []byte(doc), "istio")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("want 1 canary, got %d", len(cs))
	}
	return cs[0]
}

// canaryWithHooks returns podinfo.test with the given webhooks YAML (a list
// indented for spec.analysis.webhooks).
func canaryWithHooks(t *testing.T, hooks string) *api.Canary {
	t.Helper()
	return parseCanary(t, fmt.Sprintf(`apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: test
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  service:
    port: 9898
  analysis:
    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 10
    webhooks:
%s`, hooks))
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
