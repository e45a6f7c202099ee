package analysis_test

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/fixtures/meshmetrics"
	"github.com/gitcanary/gitcanary/fixtures/promtest"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// TestEvaluateAgainstPrometheus runs the builtin istio checks against a real
// Prometheus server scraping simulated Istio telemetry: a canary answering
// 30% of its requests with 500s in ~800ms fails both checks, a healthy
// workload passes them, a workload without traffic has no data.
func TestEvaluateAgainstPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test with a real Prometheus server; run without -short")
	}
	rec := meshmetrics.NewRecorder()
	exporter := httptest.NewServer(rec.Handler())
	defer exporter.Close()

	// Traffic as a mesh would see it, until the test ends: every 50ms, 10
	// requests to each workload.
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			for i := range 10 {
				code := 200
				if i < 3 {
					code = 500
				}
				rec.Observe("test", "podinfo", code, 800*time.Millisecond)
				rec.Observe("test", "healthy", 200, 20*time.Millisecond)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()

	start := time.Now()
	prom := promtest.Start(t, strings.TrimPrefix(exporter.URL, "http://"))
	t.Logf("prometheus up and scraping after %s", time.Since(start).Round(time.Millisecond))
	p, err := analysis.NewPrometheus(prom.URL, analysis.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}

	canary := func(name string) *api.Canary {
		c := newCanary(
			with(successRate, func(m *api.Metric) { m.Interval.Duration = 30 * time.Second }),
			with(duration, func(m *api.Metric) { m.Interval.Duration = 30 * time.Second }),
		)
		c.Metadata.Name, c.Spec.TargetRef.Name = name, name
		return c
	}

	// Until a rate can be computed (two scrapes of the series), the
	// checks have no data.
	var failing []analysis.Result
	deadline := time.Now().Add(20 * time.Second)
	for {
		failing = analysis.Evaluate(ctx, p, canary("podinfo"), nil, time.Now())
		if !failing[0].NoData && !failing[1].NoData {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no data after 20s: %+v", failing)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("data visible after %s", time.Since(start).Round(time.Millisecond))

	t.Logf("failing: %s; %s", failing[0].Summary, failing[1].Summary)
	sr, d := failing[0], failing[1]
	if sr.Passed || sr.Err != nil || sr.Value < 60 || sr.Value > 80 {
		t.Errorf("success rate = %+v, want a failure around 70%%", sr)
	}
	if !regexp.MustCompile(`^Halt podinfo\.test advancement success rate [67]\d\.\d\d% < 99%$`).MatchString(sr.Halt) {
		t.Errorf("Halt = %q", sr.Halt)
	}
	// 800ms falls in the (500, 1000] bucket: P99 is 995ms.
	if d.Passed || d.Err != nil || d.Value <= 500 {
		t.Errorf("duration = %+v, want a failure above 500ms", d)
	}
	if want := "Halt podinfo.test advancement request duration 995ms > 500ms"; d.Halt != want {
		t.Errorf("Halt = %q, want %q", d.Halt, want)
	}
	if f, ok := analysis.Failed(failing); !ok || f.Halt != sr.Halt {
		t.Errorf("Failed = %+v", f)
	}

	healthy := analysis.Evaluate(ctx, p, canary("healthy"), nil, time.Now())
	var summaries []string
	for _, r := range healthy {
		summaries = append(summaries, r.Summary)
	}
	// 20ms falls in the (10, 25] bucket: P99 is 24.85ms.
	if got, want := strings.Join(summaries, "\n"), "request-success-rate 100.00% >= 99%\nrequest-duration 24ms <= 500ms"; got != want {
		t.Errorf("healthy summaries:\n%s\nwant:\n%s", got, want)
	}
	if f, ok := analysis.Failed(healthy); ok {
		t.Errorf("healthy workload failed: %+v", f)
	}

	idle := analysis.Evaluate(ctx, p, canary("idle"), nil, time.Now())
	if want := "Halt advancement no values found for istio metric request-success-rate probably idle.test is not receiving traffic"; !idle[0].NoData || idle[0].Halt != want {
		t.Errorf("idle = %+v, want Halt %q", idle[0], want)
	}
	t.Logf("end-to-end test took %s", time.Since(start).Round(time.Millisecond))
}
