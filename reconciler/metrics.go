package reconciler

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Metrics are the series `run --listen` serves on /metrics: Flagger's, with
// its names and labels (pkg/metrics/recorder.go), so that its Grafana
// dashboard and alerts such as `flagger_canary_status > 1` keep working,
// and gitcanary's own, about passes and Git.
type Metrics struct {
	info      *prometheus.GaugeVec
	total     *prometheus.GaugeVec
	status    *prometheus.GaugeVec
	weight    *prometheus.GaugeVec
	duration  *prometheus.HistogramVec
	analysis  *prometheus.GaugeVec
	successes *prometheus.CounterVec
	failures  *prometheus.CounterVec

	pass       prometheus.Histogram
	git        *prometheus.HistogramVec
	gitErrors  *prometheus.CounterVec
	conflicts  prometheus.Counter
	commits    prometheus.Counter
	errored    prometheus.Gauge
	namespaces map[string]bool // canary_total label values set last
}

// NewMetrics registers gitcanary's series with reg.
func NewMetrics(reg prometheus.Registerer, version, meshProvider string) *Metrics {
	m := &Metrics{
		info: prometheus.NewGaugeVec(prometheus.GaugeOpts{Subsystem: "flagger", Name: "info",
			Help: "Flagger version and mesh provider information"}, []string{"version", "mesh_provider"}),
		total: prometheus.NewGaugeVec(prometheus.GaugeOpts{Subsystem: "flagger", Name: "canary_total",
			Help: "Total number of canary object"}, []string{"namespace"}),
		status: prometheus.NewGaugeVec(prometheus.GaugeOpts{Subsystem: "flagger", Name: "canary_status",
			Help: "Last canary analysis result"}, []string{"name", "namespace"}),
		weight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Subsystem: "flagger", Name: "canary_weight",
			Help: "The virtual service destination weight current value"}, []string{"workload", "namespace"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Subsystem: "flagger", Name: "canary_duration_seconds",
			Help: "Seconds spent performing canary analysis.", Buckets: prometheus.DefBuckets}, []string{"name", "namespace"}),
		analysis: prometheus.NewGaugeVec(prometheus.GaugeOpts{Subsystem: "flagger", Name: "canary_metric_analysis",
			Help: "Last canary analysis result per metric"}, []string{"name", "namespace", "metric"}),
		successes: prometheus.NewCounterVec(prometheus.CounterOpts{Subsystem: "flagger", Name: "canary_successes_total",
			Help: "Total number of canary successes"}, []string{"name", "namespace", "deployment_strategy", "analysis_status"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Subsystem: "flagger", Name: "canary_failures_total",
			Help: "Total number of canary failures"}, []string{"name", "namespace", "deployment_strategy", "analysis_status"}),

		pass: prometheus.NewHistogram(prometheus.HistogramOpts{Subsystem: "gitcanary", Name: "pass_duration_seconds",
			Help: "Seconds a pass took: fetch, decisions, commits and push.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}),
		git: prometheus.NewHistogramVec(prometheus.HistogramOpts{Subsystem: "gitcanary", Name: "git_duration_seconds",
			Help: "Seconds a Git fetch or push took.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}, []string{"operation"}),
		gitErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Subsystem: "gitcanary", Name: "git_errors_total",
			Help: "Git fetches and pushes that failed (a rejected push is a conflict, not an error)."}, []string{"operation"}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{Subsystem: "gitcanary", Name: "push_conflicts_total",
			Help: "Pushes rejected because the branch moved; the pass decided again."}),
		commits: prometheus.NewCounter(prometheus.CounterOpts{Subsystem: "gitcanary", Name: "commits_total",
			Help: "Transitions committed and pushed."}),
		errored: prometheus.NewGauge(prometheus.GaugeOpts{Subsystem: "gitcanary", Name: "canary_errors",
			Help: "Canaries and documents with an error in the last pass."}),
		namespaces: map[string]bool{},
	}
	reg.MustRegister(m.info, m.total, m.status, m.weight, m.duration, m.analysis, m.successes, m.failures,
		m.pass, m.git, m.gitErrors, m.conflicts, m.commits, m.errored)
	m.info.WithLabelValues(version, meshProvider).Set(1)
	return m
}

// Deployment strategies and analysis statuses, Flagger's label values.
const (
	strategyCanary    = "canary"
	strategyBlueGreen = "blue-green"
	strategyAB        = "ab-testing"
)

func deploymentStrategy(c *api.Canary) string {
	switch c.Spec.Analysis.Strategy() {
	case api.StrategyAB:
		return strategyAB
	case api.StrategyBlueGreen:
		return strategyBlueGreen
	}
	return strategyCanary
}

// canaryState records a canary's status as the pass leaves it.
func (m *Metrics) canaryState(c *api.Canary, st api.Status) {
	if m == nil {
		return
	}
	name, ns := c.Spec.TargetRef.Name, c.Metadata.Namespace
	status := 1.0
	switch st.Phase {
	case api.PhaseProgressing:
		status = 0
	case api.PhaseFailed:
		status = 2
	}
	m.status.WithLabelValues(name, ns).Set(status)
	m.weight.WithLabelValues(name+"-primary", ns).Set(float64(100 - st.CanaryWeight))
	m.weight.WithLabelValues(name, ns).Set(float64(st.CanaryWeight))
}

// canaryTotals records the number of canaries per namespace.
func (m *Metrics) canaryTotals(perNamespace map[string]int) {
	if m == nil {
		return
	}
	for ns := range m.namespaces {
		if _, ok := perNamespace[ns]; !ok {
			m.total.DeleteLabelValues(ns)
		}
	}
	m.namespaces = map[string]bool{}
	for ns, n := range perNamespace {
		m.total.WithLabelValues(ns).Set(float64(n))
		m.namespaces[ns] = true
	}
}

// outcome counts a rollout that ended in phase to.
func (m *Metrics) outcome(c *api.Canary, from, to api.Phase) {
	if m == nil || from == to {
		return
	}
	status := "completed"
	if c.Spec.SkipAnalysis {
		status = "skipped"
	}
	labels := []string{c.Spec.TargetRef.Name, c.Metadata.Namespace, deploymentStrategy(c), status}
	switch to {
	case api.PhaseSucceeded:
		if from != api.PhaseInitialized && from != "" {
			m.successes.WithLabelValues(labels...).Inc()
		}
	case api.PhaseFailed:
		m.failures.WithLabelValues(labels...).Inc()
	}
}

// analysed records an analysis tick: its duration and the metric values.
func (m *Metrics) analysed(c *api.Canary, took time.Duration, values map[string]float64) {
	if m == nil {
		return
	}
	name, ns := c.Spec.TargetRef.Name, c.Metadata.Namespace
	m.duration.WithLabelValues(name, ns).Observe(took.Seconds())
	for metric, v := range values {
		m.analysis.WithLabelValues(name, ns, metric).Set(v)
	}
}

// gitCall records a fetch or push.
func (m *Metrics) gitCall(op string, took time.Duration, err error, conflict bool) {
	if m == nil {
		return
	}
	m.git.WithLabelValues(op).Observe(took.Seconds())
	switch {
	case conflict:
		m.conflicts.Inc()
	case err != nil:
		m.gitErrors.WithLabelValues(op).Inc()
	}
}

// passDone records a pass.
func (m *Metrics) passDone(took time.Duration, res PassResult) {
	if m == nil {
		return
	}
	m.pass.Observe(took.Seconds())
	m.commits.Add(float64(res.Commits))
	m.errored.Set(float64(len(res.Errors)))
}
