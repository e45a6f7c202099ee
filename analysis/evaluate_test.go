package analysis_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

func ptr(f float64) *float64 { return &f }

func newCanary(metrics ...api.Metric) *api.Canary {
	for i := range metrics {
		if metrics[i].Interval.Duration == 0 {
			metrics[i].Interval.Duration = time.Minute
		}
		if metrics[i].OnNoData == "" {
			metrics[i].OnNoData = "fail"
		}
	}
	return &api.Canary{
		APIVersion: api.FlaggerV1beta1,
		Kind:       api.KindCanary,
		Metadata:   api.ObjectMeta{Name: "podinfo", Namespace: "test"},
		Spec: api.CanarySpec{
			Provider:  "istio",
			TargetRef: api.CrossRef{Kind: "Deployment", Name: "podinfo"},
			Service:   api.Service{Name: "podinfo", Port: 9898},
			Analysis:  &api.Analysis{Interval: api.Duration{Duration: time.Minute}, Threshold: 5, StepWeight: 10, MaxWeight: 50, Metrics: metrics},
		},
	}
}

var (
	successRate = api.Metric{Name: api.MetricRequestSuccessRate, ThresholdRange: &api.Range{Min: ptr(99)}}
	duration    = api.Metric{Name: api.MetricRequestDuration, ThresholdRange: &api.Range{Max: ptr(500)}}
	latency     = api.Metric{Name: "latency", TemplateRef: &api.TemplateRef{Name: "latency"}, ThresholdRange: &api.Range{Max: ptr(0.5)}}
)

func with(m api.Metric, f func(*api.Metric)) api.Metric {
	f(&m)
	return m
}

// value answers every query with v.
func value(v float64) analysis.Querier {
	return analysis.QuerierFunc(func(context.Context, string, time.Time) (float64, error) { return v, nil })
}

func failing(err error) analysis.Querier {
	return analysis.QuerierFunc(func(context.Context, string, time.Time) (float64, error) { return 0, err })
}

//lint:ignore ST1005 the text of net/http's own error
var errRefused = errors.New(`Post "http://prometheus:9090/api/v1/query": dial tcp 10.0.0.1:9090: connect: connection refused`)

func templates(t *testing.T) analysis.Templates {
	t.Helper()
	ts := analysis.Templates{}
	for _, doc := range []string{
		`apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: latency, namespace: test}
spec:
  provider: {type: prometheus}
  query: 'histogram_quantile(0.99, sum(rate(latency_seconds_bucket{app="{{ target }}"}[{{ interval }}])) by (le))'
`,
		`apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: remote, namespace: monitoring}
spec:
  provider: {type: prometheus, address: "http://thanos.monitoring:9090", secretRef: {name: thanos-auth}}
  query: 'sum(errors{namespace="{{ namespace }}",zone="{{ variables.zone }}"})'
`,
	} {
		mt, err := analysis.ParseMetricTemplate("metrics.yaml", 0, []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := ts.Add(mt); err != nil {
			t.Fatal(err)
		}
	}
	return ts
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		metric  api.Metric
		q       analysis.Querier
		want    analysis.Result // Err is compared by presence
		wantErr bool
	}{
		{
			name: "success rate passes", metric: successRate, q: value(99.8712),
			want: analysis.Result{Value: 99.8712, Passed: true, Summary: "request-success-rate 99.87% >= 99%"},
		},
		{
			name: "success rate fails", metric: successRate, q: value(69.16666),
			want: analysis.Result{Value: 69.16666, Halt: "Halt podinfo.test advancement success rate 69.17% < 99%", Summary: "request-success-rate 69.17% < 99%"},
		},
		{
			name: "success rate above max", metric: with(successRate, func(m *api.Metric) { m.ThresholdRange = &api.Range{Min: ptr(90), Max: ptr(99.5)} }), q: value(100),
			want: analysis.Result{Value: 100, Halt: "Halt podinfo.test advancement success rate 100.00% > 99.5%", Summary: "request-success-rate 100.00% > 99.5%"},
		},
		{
			name: "success rate within both bounds", metric: with(successRate, func(m *api.Metric) { m.ThresholdRange = &api.Range{Min: ptr(90), Max: ptr(100)} }), q: value(95),
			want: analysis.Result{Value: 95, Passed: true, Summary: "request-success-rate 95.00% >= 90%, <= 100%"},
		},
		{
			name: "duration passes", metric: duration, q: value(212.7),
			want: analysis.Result{Value: 212.7, Passed: true, Summary: "request-duration 212ms <= 500ms"},
		},
		{
			name: "duration fails", metric: duration, q: value(1200),
			want: analysis.Result{Value: 1200, Halt: "Halt podinfo.test advancement request duration 1.2s > 500ms", Summary: "request-duration 1.2s > 500ms"},
		},
		{
			name: "duration compares whole milliseconds, as Flagger", metric: duration, q: value(500.9),
			want: analysis.Result{Value: 500.9, Passed: true, Summary: "request-duration 500ms <= 500ms"},
		},
		{
			name: "duration below min", metric: with(duration, func(m *api.Metric) { m.ThresholdRange = &api.Range{Min: ptr(10)} }), q: value(2.5),
			want: analysis.Result{Value: 2.5, Halt: "Halt podinfo.test advancement request duration 2ms < 10ms", Summary: "request-duration 2ms < 10ms"},
		},
		{
			name: "custom passes", metric: latency, q: value(0.2149),
			want: analysis.Result{Value: 0.2149, Passed: true, Summary: "latency 0.21 <= 0.5"},
		},
		{
			name: "custom above max", metric: latency, q: value(1.2),
			want: analysis.Result{Value: 1.2, Halt: "Halt podinfo.test advancement latency 1.20 > 0.5", Summary: "latency 1.20 > 0.5"},
		},
		{
			name: "custom below min", metric: with(latency, func(m *api.Metric) { m.ThresholdRange = &api.Range{Min: ptr(0.5)} }), q: value(0.1),
			want: analysis.Result{Value: 0.1, Halt: "Halt podinfo.test advancement latency 0.10 < 0.5", Summary: "latency 0.10 < 0.5"},
		},
		{
			name: "custom without thresholdRange has max 0, as Flagger", metric: with(latency, func(m *api.Metric) { m.ThresholdRange = nil }), q: value(3),
			want: analysis.Result{Value: 3, Halt: "Halt podinfo.test advancement latency 3.00 > 0", Summary: "latency 3.00 > 0"},
		},
		{
			name: "builtin no data", metric: successRate, q: failing(analysis.ErrNoValuesFound),
			want: analysis.Result{NoData: true, Halt: "Halt advancement no values found for istio metric request-success-rate probably podinfo.test is not receiving traffic", Summary: "request-success-rate no values found"},
		},
		{
			name: "builtin no data skipped", metric: with(duration, func(m *api.Metric) { m.OnNoData = "skip" }), q: failing(analysis.ErrNoValuesFound),
			want: analysis.Result{NoData: true, Skipped: true, Passed: true, Summary: "request-duration no values found, skipped"},
		},
		{
			name: "custom no data", metric: latency, q: failing(analysis.ErrNoValuesFound),
			want: analysis.Result{NoData: true, Halt: "Halt advancement no values found for custom metric: latency: no values found", Summary: "latency no values found"},
		},
		{
			name: "builtin query error", metric: successRate, q: failing(errRefused), wantErr: true,
			want: analysis.Result{
				Halt:    `Prometheus query failed: running query failed: Post "http://prometheus:9090/api/v1/query": dial tcp 10.0.0.1:9090: connect: connection refused`,
				Summary: `request-success-rate error: running query failed: Post "http://prometheus:9090/api/v1/query": dial tcp 10.0.0.1:9090: connect: connection refused`,
			},
		},
		{
			name: "custom query error", metric: latency, q: failing(errRefused), wantErr: true,
			want: analysis.Result{
				Halt:    `Metric query failed for latency: Post "http://prometheus:9090/api/v1/query": dial tcp 10.0.0.1:9090: connect: connection refused`,
				Summary: `latency error: Post "http://prometheus:9090/api/v1/query": dial tcp 10.0.0.1:9090: connect: connection refused`,
			},
		},
		{
			name: "template not found", metric: with(latency, func(m *api.Metric) { m.TemplateRef = &api.TemplateRef{Name: "latency", Namespace: "istio-system"} }), q: value(0), wantErr: true,
			want: analysis.Result{
				Halt:    "Metric template latency.istio-system error: MetricTemplate istio-system/latency not found in the repository",
				Summary: "latency error: MetricTemplate istio-system/latency not found in the repository",
			},
		},
		{
			name: "template variable missing", metric: api.Metric{Name: "errors", TemplateRef: &api.TemplateRef{Name: "remote", Namespace: "monitoring"}}, q: value(0), wantErr: true,
			want: analysis.Result{
				Halt:    "Metric template remote.monitoring query render error: metrics.yaml: document 1: spec.query: rendering query: the query uses variables.zone but the metric's templateVariables do not set zone",
				Summary: "errors error: metrics.yaml: document 1: spec.query: rendering query: the query uses variables.zone but the metric's templateVariables do not set zone",
			},
		},
		{
			name: "no builtin for the provider", metric: successRate, q: value(100), wantErr: true,
			want: analysis.Result{
				Halt:    `Prometheus query failed: no builtin request-success-rate query: not supported yet: knative (a Knative Service routes its own revisions; gitcanary's targets are Deployments)`,
				Summary: `request-success-rate error: no builtin request-success-rate query: not supported yet: knative (a Knative Service routes its own revisions; gitcanary's targets are Deployments)`,
			},
		},
		{
			name: "no default Prometheus", metric: successRate, q: nil, wantErr: true,
			want: analysis.Result{Halt: "Prometheus query failed: no Prometheus server configured", Summary: "request-success-rate error: no Prometheus server configured"},
		},
		{
			name: "v1alpha3 inline query", metric: api.Metric{Name: "errors", Query: "sum(errors)", ThresholdRange: &api.Range{Max: ptr(1)}}, q: value(4),
			want: analysis.Result{Value: 4, Halt: "Halt podinfo.test advancement errors 4.00 > 1", Summary: "errors 4.00 > 1"},
		},
		{
			name: "v1alpha3 inline query no data", metric: api.Metric{Name: "errors", Query: "sum(errors)"}, q: failing(analysis.ErrNoValuesFound),
			want: analysis.Result{NoData: true, Halt: "Halt advancement no values found for metric: errors", Summary: "errors no values found"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCanary(tt.metric)
			if strings.HasPrefix(tt.name, "no builtin") {
				c.Spec.Provider = "knative"
			}
			res := analysis.Evaluate(context.Background(), tt.q, c, templates(t), time.Unix(1700000000, 0))
			if len(res) != 1 {
				t.Fatalf("got %d results, want 1", len(res))
			}
			got := res[0]
			if (got.Err != nil) != tt.wantErr {
				t.Errorf("Err = %v, want error: %v", got.Err, tt.wantErr)
			}
			got.Err, got.Query = nil, ""
			tt.want.Metric = tt.metric.Name
			if got != tt.want {
				t.Errorf("result\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestEvaluateQueries(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 0)
	var got []string
	q := analysis.QuerierFunc(func(_ context.Context, query string, at time.Time) (float64, error) {
		if !at.Equal(now) {
			t.Errorf("query time = %v, want %v", at, now)
		}
		got = append(got, query)
		return 1, nil
	})
	c := newCanary(
		with(successRate, func(m *api.Metric) { m.Interval.Duration = 30 * time.Second }),
		latency,
	)
	res := analysis.Evaluate(context.Background(), q, c, templates(t), now)
	want := []string{
		`sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo",response_code!~"5.*"}[30s]))
/ sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo"}[30s])) * 100`,
		`histogram_quantile(0.99, sum(rate(latency_seconds_bucket{app="podinfo"}[1m])) by (le))`,
	}
	if strings.Join(got, "\n\n") != strings.Join(want, "\n\n") {
		t.Errorf("queries\n%s\nwant\n%s", strings.Join(got, "\n\n"), strings.Join(want, "\n\n"))
	}
	for i, r := range res {
		if r.Query != want[i] {
			t.Errorf("result %d Query = %q", i, r.Query)
		}
	}
}

func TestEvaluateQuerierFactory(t *testing.T) {
	t.Parallel()
	type call struct {
		p  analysis.Provider
		ns string
	}
	var calls []call
	var queries []string
	factory := analysis.QuerierFactoryFunc(func(p analysis.Provider, ns string, _ time.Duration) (analysis.Querier, error) {
		calls = append(calls, call{p, ns})
		if strings.Contains(p.Address, "broken") {
			return nil, errors.New("cannot connect")
		}
		return analysis.QuerierFunc(func(_ context.Context, q string, _ time.Time) (float64, error) {
			queries = append(queries, p.Address+" "+q)
			return 0, nil
		}), nil
	})
	remote := api.Metric{
		Name:              "errors",
		TemplateRef:       &api.TemplateRef{Name: "remote", Namespace: "monitoring"},
		TemplateVariables: map[string]string{"zone": "eu-1"},
		ThresholdRange:    &api.Range{Max: ptr(0)},
	}
	c := newCanary(remote, successRate)
	c.Spec.MetricsServer = "http://user:secret@prometheus.mesh:9090"
	res := analysis.Evaluate(context.Background(), failing(errors.New("default querier must not be used")), c, templates(t), time.Time{},
		analysis.WithQuerierFactory(factory))
	if len(calls) != 2 || calls[0].p.Address != "http://thanos.monitoring:9090" || calls[0].p.SecretRef.Name != "thanos-auth" || calls[0].ns != "monitoring" ||
		calls[1].p.Address != c.Spec.MetricsServer || calls[1].p.Type != "prometheus" || calls[1].ns != "test" {
		t.Errorf("factory calls = %+v", calls)
	}
	if len(queries) != 2 || queries[0] != `http://thanos.monitoring:9090 sum(errors{namespace="test",zone="eu-1"})` {
		t.Errorf("queries = %q", queries)
	}
	if res[0].Summary != "errors 0.00 <= 0" || res[1].Summary != "request-success-rate 0.00% < 99%" {
		t.Errorf("summaries = %q, %q", res[0].Summary, res[1].Summary)
	}

	c.Spec.MetricsServer = "http://user:secret@broken:9090"
	tmpl := templates(t)
	tmpl["monitoring/remote"].Spec.Provider.Address = "http://broken.monitoring:9090"
	res = analysis.Evaluate(context.Background(), nil, c, tmpl, time.Time{}, analysis.WithQuerierFactory(factory))
	if want := "Metric template remote.monitoring provider prometheus error: cannot connect"; res[0].Halt != want {
		t.Errorf("Halt = %q, want %q", res[0].Halt, want)
	}
	if want := "Error building Prometheus client for http://user:xxxxx@broken:9090 cannot connect"; res[1].Halt != want {
		t.Errorf("Halt = %q, want %q", res[1].Halt, want)
	}
}

func TestFailed(t *testing.T) {
	t.Parallel()
	c := newCanary(successRate, with(duration, func(m *api.Metric) { m.OnNoData = "skip" }), latency)
	answers := map[string]float64{"istio_requests_total": 100, "latency_seconds_bucket": 2}
	q := analysis.QuerierFunc(func(_ context.Context, query string, _ time.Time) (float64, error) {
		for k, v := range answers {
			if strings.Contains(query, k) {
				return v, nil
			}
		}
		return 0, analysis.ErrNoValuesFound
	})
	res := analysis.Evaluate(context.Background(), q, c, templates(t), time.Time{})
	var summaries []string
	for _, r := range res {
		summaries = append(summaries, r.Summary)
	}
	want := "request-success-rate 100.00% >= 99%\nrequest-duration no values found, skipped\nlatency 2.00 > 0.5"
	if got := strings.Join(summaries, "\n"); got != want {
		t.Errorf("summaries:\n%s\nwant:\n%s", got, want)
	}
	f, ok := analysis.Failed(res)
	if !ok || f.Halt != "Halt podinfo.test advancement latency 2.00 > 0.5" {
		t.Errorf("Failed = %+v, %v", f, ok)
	}
	if _, ok := analysis.Failed(res[:2]); ok {
		t.Error("Failed found a failure among passing checks")
	}
	if res := analysis.Evaluate(context.Background(), q, &api.Canary{}, nil, time.Time{}); res != nil {
		t.Errorf("no analysis: %v", res)
	}
}

func TestCheckProviders(t *testing.T) {
	t.Parallel()
	c := newCanary(successRate, duration, latency)
	if err := analysis.CheckProviders(context.Background(), value(1), c, templates(t)); err != nil {
		t.Fatal(err)
	}
	err := analysis.CheckProviders(context.Background(), failing(errRefused), c, templates(t))
	want := `prometheus not available: running query failed: Post "http://prometheus:9090/api/v1/query": dial tcp 10.0.0.1:9090: connect: connection refused
prometheus in metric template latency.test not available: running query failed: Post "http://prometheus:9090/api/v1/query": dial tcp 10.0.0.1:9090: connect: connection refused`
	if err == nil || err.Error() != want {
		t.Errorf("err:\n%v\nwant:\n%s", err, want)
	}
	if got := analysis.ProvidersCheckFailed(errors.New("x")); got != "Error checking metric providers: x" {
		t.Errorf("ProvidersCheckFailed = %q", got)
	}
}
