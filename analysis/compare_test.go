package analysis_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/fixtures/promsim"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// meshAt records two minutes of Istio telemetry, one scrape a second, for
// the canary (podinfo) and its primary (podinfo-primary) answering 5xx at
// the given rates, into the embedded PromQL engine, and returns a client
// of its HTTP API (the one `gitcanary run` uses) and the end time.
func meshAt(t *testing.T, canaryErrors, primaryErrors float64, seed uint64) (*analysis.Prometheus, time.Time) {
	t.Helper()
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "istio_requests_total"},
		[]string{"reporter", "destination_workload_namespace", "destination_workload", "response_code"})
	reg.MustRegister(requests)
	prom, err := promsim.New(promsim.Options{ScrapeInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prom.Close() })
	prom.AddTarget("mesh", reg)
	rng := rand.New(rand.NewPCG(seed, 1))
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	end := start.Add(2 * time.Minute)
	for ts := start; !ts.After(end); ts = ts.Add(time.Second) {
		for _, w := range []struct {
			name string
			rate float64
		}{{"podinfo", canaryErrors}, {"podinfo-primary", primaryErrors}} {
			for range 400 { // 400 requests a second
				code := "200"
				if rng.Float64() < w.rate {
					code = "500"
				}
				requests.WithLabelValues("destination", "test", w.name, code).Inc()
			}
		}
		if err := prom.Scrape(context.Background(), ts); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(prom.Handler())
	t.Cleanup(srv.Close)
	q, err := analysis.NewPrometheus(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return q, end
}

func TestCompareWithPrimary(t *testing.T) {
	t.Parallel()
	compared := api.Metric{
		Name:           api.MetricRequestSuccessRate,
		Interval:       api.Duration{Duration: 30 * time.Second},
		ThresholdRange: &api.Range{Min: ptr(99)},
		Compare:        &api.Compare{Baseline: "primary", Direction: "decrease", Tolerance: "0.5%", Confidence: 0.95},
	}
	tests := []struct {
		name            string
		canary, primary float64
		passed          bool
		halt            string
		summary         string
	}{
		{
			name: "worse than its primary", canary: 0.008, primary: 0.0005, passed: false,
			halt:    "Halt podinfo.test advancement request-success-rate canary 99.",
			summary: "request-success-rate 99.",
		},
		{name: "as good as its primary", canary: 0.0005, primary: 0.0005, passed: true, summary: "; vs primary: median 99.9"},
		{name: "no errors on either side", canary: 0, primary: 0, passed: true, summary: "vs primary: median 100.00% vs 100.00%, p=1, shift +0.00% (tolerance 0.50%)"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, now := meshAt(t, tt.canary, tt.primary, uint64(i+1))
			c := newCanary(compared)
			// The absolute threshold alone passes: 99.2% >= 99%.
			plain := newCanary(successRate)
			plain.Spec.Analysis.Metrics[0].Interval = compared.Interval
			if r := analysis.Evaluate(context.Background(), q, plain, nil, now)[0]; !r.Passed {
				t.Fatalf("threshold alone: %+v", r)
			}
			r := analysis.NewEvaluator(q).Evaluate(context.Background(), c, nil, now)[0]
			if r.Passed != tt.passed || !strings.HasPrefix(r.Halt, tt.halt) || !strings.Contains(r.Summary, tt.summary) {
				t.Fatalf("result %+v\ncompare %+v", r, r.Compare)
			}
			if r.Compare == nil || r.Compare.CanarySamples < 10 || r.Compare.PrimarySamples < 10 {
				t.Fatalf("samples: %+v", r.Compare)
			}
			t.Logf("summary: %s", r.Summary)
			// The commit body's line reads back as the comparison made.
			_, detail, _ := strings.Cut(r.Summary, "; ")
			back, ok := analysis.ParseComparison(detail)
			if !ok || back.Worse != r.Compare.Worse || back.Failed() == tt.passed ||
				math.Abs(back.CanaryMedian-r.Compare.CanaryMedian) > 0.005 || math.Abs(back.PrimaryMedian-r.Compare.PrimaryMedian) > 0.005 ||
				math.Abs(back.Shift-r.Compare.Shift) > 0.005 || math.Abs(back.P-r.Compare.P) > r.Compare.P/10 {
				t.Errorf("ParseComparison(%q) = %+v, %v; made %+v", detail, back, ok, r.Compare)
			}
			if !tt.passed {
				if !strings.Contains(r.Halt, "< primary 99.9") || r.Compare.P > 0.001 {
					t.Errorf("halt %q, p %v", r.Halt, r.Compare.P)
				}
			}
		})
	}
}

// Too few samples is inconclusive: a failed check, unless onNoData: skip.
func TestCompareInconclusive(t *testing.T) {
	t.Parallel()
	steady := analysis.QuerierFunc(func(context.Context, string, time.Time) (float64, error) { return 99.9, nil })
	m := api.Metric{Name: "errors", TemplateRef: &api.TemplateRef{Name: "keptn-errors"}, ThresholdRange: &api.Range{Min: ptr(99)},
		Compare: &api.Compare{Direction: "decrease"}}
	tmpl := analysis.Templates{}
	if err := tmpl.Add(&analysis.MetricTemplate{Metadata: api.ObjectMeta{Name: "keptn-errors", Namespace: "test"},
		Spec: analysis.MetricTemplateSpec{Provider: analysis.Provider{Type: "keptn", Address: "http://keptn:9999"}, Query: "keptnmetric/test/{{ target }}"}}); err != nil {
		t.Fatal(err)
	}
	factory := analysis.QuerierFactoryFunc(func(analysis.Provider, string, time.Duration) (analysis.Querier, error) { return steady, nil })
	ev := analysis.NewEvaluator(nil, analysis.WithQuerierFactory(factory))
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	// keptn answers "now" only: one sample per check, kept in memory.
	for check := 1; check <= 5; check++ {
		r := ev.Evaluate(context.Background(), newCanary(m), tmpl, now.Add(time.Duration(check)*time.Minute))[0]
		if check < 5 {
			if r.Passed || r.Halt != "Halt podinfo.test advancement errors comparison with primary inconclusive" || !strings.Contains(r.Summary, "inconclusive") {
				t.Fatalf("check %d: %+v", check, r)
			}
			continue
		}
		if !r.Passed || !strings.Contains(r.Summary, "vs primary: median 99.90 vs 99.90, p=1") {
			t.Fatalf("check 5: %+v", r)
		}
	}
	skip := m
	skip.OnNoData = "skip"
	r := analysis.NewEvaluator(nil, analysis.WithQuerierFactory(factory)).Evaluate(context.Background(), newCanary(skip), tmpl, now)[0]
	if !r.Passed || !strings.HasSuffix(r.Summary, "inconclusive, 1 canary and 1 primary samples (want 5), skipped") {
		t.Errorf("onNoData skip: %+v", r)
	}
}

func TestCheckCompare(t *testing.T) {
	t.Parallel()
	c := newCanary(api.Metric{Name: "errors", TemplateRef: &api.TemplateRef{Name: "x"},
		Compare: &api.Compare{Baseline: "canary", Tolerance: "lots", Confidence: 1.5, MinSamples: 1}})
	c.Source = api.Source{Path: "apps/podinfo/canary.yaml"}
	err := analysis.CheckCompare(c)
	for _, want := range []string{
		"spec.analysis.metrics[0].compare.baseline: must be primary, got \"canary\"",
		"spec.analysis.metrics[0].compare.direction: is required: decrease or increase, the direction that is worse",
		"spec.analysis.metrics[0].compare.tolerance: must be a non-negative number or percentage, got \"lots\"",
		"spec.analysis.metrics[0].compare.confidence: must be between 0 and 1, got 1.5",
		"spec.analysis.metrics[0].compare.minSamples: must be between 3 and 1000, got 1",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckCompare error lacks %q:\n%v", want, err)
		}
	}
	if err != nil && !strings.Contains(err.Error(), "apps/podinfo/canary.yaml") {
		t.Errorf("error does not name the file: %v", err)
	}

	// A query that cannot be rendered for the primary cannot be compared.
	inline := newCanary(api.Metric{Name: "errors", Query: `sum(rate(errors{app="podinfo"}[1m]))`, Compare: &api.Compare{Direction: "increase"}})
	apisix := newCanary(api.Metric{Name: api.MetricRequestSuccessRate, Compare: &api.Compare{}})
	apisix.Spec.Provider = "apisix"
	for c, want := range map[*api.Canary]string{
		inline: "spec.analysis.metrics[0].compare: needs a query that names the target: an inline query cannot be rendered for the primary; use a MetricTemplate with {{ target }}",
		apisix: "spec.analysis.metrics[0].compare: no series of the primary to compare with for provider apisix: APISIX's series measure the canary route as a whole, both backends",
	} {
		if err := analysis.CheckCompare(c); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckCompare = %v, want %q", err, want)
		}
	}
	if err := analysis.CheckCompare(newCanary(api.Metric{Name: api.MetricRequestSuccessRate, Compare: &api.Compare{}})); err != nil {
		t.Errorf("istio's success rate: %v", err)
	}
}

// A template whose query does not change with {{ target }} would compare
// the canary with itself: the check fails, saying so.
func TestCompareNeedsTheTarget(t *testing.T) {
	t.Parallel()
	q := analysis.QuerierFunc(func(context.Context, string, time.Time) (float64, error) { return 0.1, nil })
	tmpl := analysis.Templates{}
	if err := tmpl.Add(&analysis.MetricTemplate{Metadata: api.ObjectMeta{Name: "errors", Namespace: "test"},
		Spec: analysis.MetricTemplateSpec{Provider: analysis.Provider{Type: "prometheus"}, Query: `sum(rate(errors{namespace="{{ namespace }}"}[1m]))`}}); err != nil {
		t.Fatal(err)
	}
	m := api.Metric{Name: "errors", TemplateRef: &api.TemplateRef{Name: "errors"}, ThresholdRange: &api.Range{Max: ptr(1)}, Compare: &api.Compare{Direction: "increase"}}
	r := analysis.NewEvaluator(q).Evaluate(context.Background(), newCanary(m), tmpl, fixedNow)[0]
	want := "Halt podinfo.test advancement errors comparison with primary failed: no series of the primary to compare with: the query is the same for the primary (it does not use {{ target }})"
	if r.Passed || r.Halt != want || !errors.Is(r.Err, analysis.ErrNoPrimarySeries) {
		t.Errorf("result %+v, want halt %q", r, want)
	}
}

func TestParseComparison(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text   string
		want   *analysis.Comparison
		failed bool
	}{
		{
			text: "vs primary: median 99.93% vs 99.96%, p=5.4e-05, shift -0.02% (tolerance 0.50%)",
			want: &analysis.Comparison{CanaryMedian: 99.93, PrimaryMedian: 99.96, P: 5.4e-05, Shift: -0.02, Tolerance: 0.5},
		},
		{
			text: "vs primary: worse, median 99.27% vs 99.97%, p=3.9e-05, shift -0.72% (tolerance 0.50%)",
			want: &analysis.Comparison{CanaryMedian: 99.27, PrimaryMedian: 99.97, P: 3.9e-05, Shift: -0.72, Tolerance: 0.5, Worse: true}, failed: true,
		},
		{
			text: "vs primary: worse, median 1.2s vs 212ms, p=0.0012, shift +988ms (tolerance 21ms)",
			want: &analysis.Comparison{CanaryMedian: 1200, PrimaryMedian: 212, P: 0.0012, Shift: 988, Tolerance: 21, Worse: true}, failed: true,
		},
		{
			text: "vs primary: median 0.53 vs 0.50, p=1, shift +0.00 (tolerance 0.10)",
			want: &analysis.Comparison{CanaryMedian: 0.53, PrimaryMedian: 0.5, P: 1, Tolerance: 0.1},
		},
		{
			text: "vs primary: inconclusive, 3 canary and 10 primary samples (want 5)",
			want: &analysis.Comparison{CanarySamples: 3, PrimarySamples: 10, MinSamples: 5, Inconclusive: true}, failed: true,
		},
		{
			text: "vs primary: inconclusive, 1 canary and 1 primary samples (want 5), skipped",
			want: &analysis.Comparison{CanarySamples: 1, PrimarySamples: 1, MinSamples: 5, Inconclusive: true, Skipped: true},
		},
		{text: "vs primary: median 99% vs lots, p=1, shift +0.00% (tolerance 0.50%)"},
		{text: "vs canary: median 99.93% vs 99.96%, p=5.4e-05, shift -0.02% (tolerance 0.50%)"},
		{text: ""},
	}
	for _, tt := range tests {
		got, ok := analysis.ParseComparison(tt.text)
		if ok != (tt.want != nil) || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseComparison(%q) = %+v, %v; want %+v", tt.text, got, ok, tt.want)
			continue
		}
		if ok && got.Failed() != tt.failed {
			t.Errorf("ParseComparison(%q).Failed() = %v", tt.text, got.Failed())
		}
	}
}
