package analysis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Result is the outcome of one metric check.
type Result struct {
	// Metric is the metric's name in the canary.
	Metric string
	// Query is the rendered query that ran (empty if none ran).
	Query string
	// Value is the measured value: percent for request-success-rate,
	// milliseconds for request-duration, the query's value otherwise.
	Value float64
	// NoData is set when the query returned no values (ErrNoValuesFound).
	NoData bool
	// Skipped is set when there was no data and the metric says
	// onNoData: skip; the check then passes.
	Skipped bool
	// Err is set when the metric could not be measured: unreachable
	// server, bad template, failed query. No data is not an error.
	Err error
	// Passed reports whether the check passed.
	Passed bool
	// Halt is Flagger's event text when the check failed, e.g.
	// "Halt podinfo.test advancement success rate 69.17% < 99%".
	Halt string
	// Summary is one line for the commit body, e.g.
	// "request-success-rate 99.87% >= 99%".
	Summary string
}

// Failed returns the first failed check, if any.
func Failed(results []Result) (Result, bool) {
	for _, r := range results {
		if !r.Passed {
			return r, true
		}
	}
	return Result{}, false
}

// EvalOption configures Evaluate.
type EvalOption func(*evaluator)

// WithQuerierFactory sets how Queriers are built for MetricTemplates with
// their own address and for a canary's spec.metricsServer (default: a
// PrometheusFactory without credentials directory). Pass one long-lived
// factory so that its clients, and their connections, are reused across
// evaluations.
func WithQuerierFactory(f QuerierFactory) EvalOption {
	return func(e *evaluator) { e.factory = f }
}

// Evaluate runs every metric of the canary's analysis at time now and
// judges it against its thresholdRange, the way Flagger does:
//
//   - request-success-rate and request-duration are builtin queries of
//     the canary's provider (Builtin), run on q, or on spec.metricsServer
//     when set;
//   - a metric with templateRef (even one named like a builtin) runs the
//     MetricTemplate found in templates (namespace defaults to the
//     canary's), on the template's address, or on q when it has none;
//   - a v1alpha3 inline query runs as written, on the same server as the
//     builtin queries.
//
// A metric without thresholdRange has max 0 (min 0 for
// request-success-rate), as in Flagger. request-duration compares and
// prints whole milliseconds. No data fails the check unless onNoData is
// "skip"; a query error fails it too. Every metric is run, in order; use
// Failed for the first failure.
func Evaluate(ctx context.Context, q Querier, c *api.Canary, templates TemplateLookup, now time.Time, opts ...EvalOption) []Result {
	a := c.Spec.Analysis
	if a == nil {
		a = c.Spec.CanaryAnalysis
	}
	if a == nil {
		return nil
	}
	e := &evaluator{q: q, c: c, templates: templates, now: now}
	for _, opt := range opts {
		opt(e)
	}
	if e.factory == nil {
		e.factory = NewPrometheusFactory("")
	}
	out := make([]Result, 0, len(a.Metrics))
	for _, m := range a.Metrics {
		out = append(out, e.metric(ctx, m))
	}
	return out
}

type evaluator struct {
	q         Querier
	c         *api.Canary
	templates TemplateLookup
	now       time.Time
	factory   QuerierFactory
}

// metricKind selects the judge and the texts.
type metricKind int

const (
	kindSuccessRate metricKind = iota
	kindDuration
	kindCustom
)

func (e *evaluator) metric(ctx context.Context, m api.Metric) Result {
	switch {
	case m.TemplateRef != nil:
		return e.custom(ctx, m)
	case m.Query != "":
		return e.inline(ctx, m)
	case IsBuiltin(m.Name):
		return e.builtin(ctx, m)
	}
	err := fmt.Errorf("metric %q is not a builtin (%s, %s) and has no templateRef", m.Name, api.MetricRequestSuccessRate, api.MetricRequestDuration)
	return failed(m, err, customQueryFailed(m.Name, err))
}

func (e *evaluator) builtin(ctx context.Context, m api.Metric) Result {
	provider := e.c.Spec.Provider
	query, err := BuiltinQuery(provider, m.Name, ModelFor(e.c, m))
	if err != nil {
		return failed(m, err, builtinQueryFailed(err))
	}
	q, halt, err := e.defaultQuerier()
	if err != nil {
		return failed(m, err, halt)
	}
	v, err := q.Query(ctx, query, e.now)
	switch {
	case errors.Is(err, ErrNoValuesFound):
		return noData(m, query, haltNoValuesBuiltin(provider, m.Name, e.c.Spec.TargetRef.Name, e.c.Metadata.Namespace))
	case err != nil:
		err = fmt.Errorf("running query failed: %w", err)
		r := failed(m, err, builtinQueryFailed(err))
		r.Query = query
		return r
	}
	kind := kindSuccessRate
	if m.Name == api.MetricRequestDuration {
		kind = kindDuration
	}
	return judge(e.c.Key(), m, kind, query, v)
}

func (e *evaluator) inline(ctx context.Context, m api.Metric) Result {
	q, halt, err := e.defaultQuerier()
	if err != nil {
		return failed(m, err, halt)
	}
	v, err := q.Query(ctx, m.Query, e.now)
	switch {
	case errors.Is(err, ErrNoValuesFound):
		return noData(m, m.Query, haltNoValuesInline(m.Name))
	case err != nil:
		r := failed(m, err, inlineQueryFailed(m.Name, err))
		r.Query = m.Query
		return r
	}
	return judge(e.c.Key(), m, kindCustom, m.Query, v)
}

func (e *evaluator) custom(ctx context.Context, m api.Metric) Result {
	name, ns := m.TemplateRef.Name, m.TemplateRef.Namespace
	if ns == "" {
		ns = e.c.Metadata.Namespace
	}
	var t *MetricTemplate
	ok := false
	if e.templates != nil {
		t, ok = e.templates.MetricTemplate(ns, name)
	}
	if !ok {
		err := fmt.Errorf("MetricTemplate %s/%s not found in the repository", ns, name)
		return failed(m, err, templateFailed(name, ns, err))
	}
	query, err := Render(t.Spec.Query, ModelFor(e.c, m))
	if err != nil {
		return failed(m, err, templateRenderFailed(name, ns, err))
	}
	var q Querier
	p := t.Spec.Provider
	if p.Address == "" && p.SecretRef == nil && !p.InsecureSkipVerify && p.Type == ProviderPrometheus {
		q = e.q
		if q == nil {
			err := errors.New("the template has no address and no default Prometheus server is configured")
			return failed(m, err, templateProviderFailed(name, ns, p.Type, err))
		}
	} else if q, err = e.factory.Querier(p, t.Metadata.Namespace); err != nil {
		return failed(m, err, templateProviderFailed(name, ns, p.Type, err))
	}
	v, err := q.Query(ctx, query, e.now)
	switch {
	case errors.Is(err, ErrNoValuesFound):
		return noData(m, query, haltNoValuesCustom(m.Name))
	case err != nil:
		r := failed(m, err, customQueryFailed(m.Name, err))
		r.Query = query
		return r
	}
	return judge(e.c.Key(), m, kindCustom, query, v)
}

// defaultQuerier is spec.metricsServer's Querier when set, q otherwise.
// On error it also returns the Flagger text to halt with.
func (e *evaluator) defaultQuerier() (Querier, string, error) {
	if addr := e.c.Spec.MetricsServer; addr != "" {
		q, err := e.factory.Querier(Provider{Type: ProviderPrometheus, Address: addr}, e.c.Metadata.Namespace)
		if err != nil {
			return nil, metricsServerFailed(redact(addr), err), err
		}
		return q, "", nil
	}
	if e.q == nil {
		err := errors.New("no Prometheus server configured")
		return nil, builtinQueryFailed(err), err
	}
	return e.q, "", nil
}

func failed(m api.Metric, err error, halt string) Result {
	return Result{Metric: m.Name, Err: err, Halt: halt, Summary: summaryError(m.Name, err)}
}

func noData(m api.Metric, query, halt string) Result {
	r := Result{Metric: m.Name, Query: query, NoData: true}
	if m.OnNoData == "skip" {
		r.Skipped, r.Passed = true, true
		r.Summary = summaryNoData(m.Name, true)
		return r
	}
	r.Halt = halt
	r.Summary = summaryNoData(m.Name, false)
	return r
}

// redact hides a password in a URL taken from user input.
func redact(address string) string {
	u, err := url.Parse(address)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}
