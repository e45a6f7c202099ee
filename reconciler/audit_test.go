package reconciler

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/analysis"
)

// TestUnreachablePrometheusKeepsTheLogShort: a failed check caused by an
// unreachable Prometheus is committed with a short subject that names no
// address (the whole error goes to the body), and the pass reports the
// canary as not measured, so `run --once` exits non-zero.
func TestUnreachablePrometheusKeepsTheLogShort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	q, err := NewQuerier("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, fixture)
	w.rec.measure = Measure(analysis.NewEvaluator(q))
	w.pass(0)
	bumpImage(w, "6.0.1")
	w.pass(tick) // New revision detected
	w.pass(tick) // Starting canary analysis: no metrics at weight 0
	w.now = w.now.Add(tick)
	res, err := w.rec.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "could not be measured") {
		t.Fatalf("the pass must report the canary as not measured, got %v", res.Errors)
	}
	subject := w.subject()
	if len(subject) > maxSubject || strings.Contains(subject, addr) || strings.Contains(subject, "http") {
		t.Errorf("subject (%d characters) %q", len(subject), subject)
	}
	if want := "Prometheus query failed: connection refused"; subject != want {
		t.Errorf("subject %q, want %q", subject, want)
	}
	body := gitRun(t, w.remote, "log", "-1", "--format=%b", "main")
	if !strings.Contains(body, addr) || !strings.Contains(body, "running query failed") {
		t.Errorf("the body must hold the whole error:\n%s", body)
	}
}

func TestSubject(t *testing.T) {
	long := "Halt podinfo.test advancement " + strings.Repeat("very ", 30) + "long"
	tests := []struct{ in, want string }{
		{"Advance podinfo.test canary weight 20", "Advance podinfo.test canary weight 20"},
		{"Halt podinfo.test advancement success rate 50.00% < 99%", "Halt podinfo.test advancement success rate 50.00% < 99%"},
		{`Prometheus query failed: running query failed: request failed: Post "http://prometheus.istio-system:9090/api/v1/query": dial tcp 10.0.0.7:9090: connect: connection refused`,
			"Prometheus query failed: connection refused"},
		{`Metric query failed for error-rate: Get "https://api.datadoghq.com/api/v1/query": context deadline exceeded`,
			"Metric query failed for error-rate: context deadline exceeded"},
		{"Halt podinfo.test advancement external check smoke failed Post http://flagger-loadtester.test/: EOF",
			"Halt podinfo.test advancement external check smoke failed Post …: EOF"},
		{long, long[:maxSubject-len("…")] + "…"},
	}
	for _, tt := range tests {
		got, _ := subject(tt.in)
		if got != tt.want || len(got) > maxSubject+len("…") {
			t.Errorf("subject(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}
