package analysis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/gitcanary/gitcanary/analysis/secrets"
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
	// Compare is the comparison with the primary, for a metric with a
	// compare block whose threshold check passed.
	Compare *Comparison
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

// EvalOption configures an Evaluator.
type EvalOption func(*Evaluator)

// WithQuerierFactory sets how Queriers are built for MetricTemplates with
// their own provider and for a canary's spec.metricsServer (default: a
// Factory reading Secrets with WithSecrets' reader).
func WithQuerierFactory(f QuerierFactory) EvalOption {
	return func(e *Evaluator) { e.factory = f }
}

// WithSecrets sets where MetricTemplate secretRefs are read from (run
// --secrets-dir: secrets.Dir). Without it a template with a secretRef
// fails, saying no secrets directory is configured.
func WithSecrets(r secrets.Reader) EvalOption {
	return func(e *Evaluator) { e.secrets = r }
}

// Evaluator runs the metric checks of canaries. Build one per process
// with NewEvaluator: it keeps the providers' HTTP connections and the
// samples of providers that are compared check by check.
type Evaluator struct {
	q       Querier
	factory QuerierFactory
	secrets secrets.Reader
	samples *sampleStore
}

// NewEvaluator returns an Evaluator whose builtin queries, inline queries
// and address-less prometheus templates run on q (run --prometheus; nil:
// they fail saying no server is configured).
func NewEvaluator(q Querier, opts ...EvalOption) *Evaluator {
	e := &Evaluator{q: q, samples: newSampleStore()}
	for _, opt := range opts {
		opt(e)
	}
	if e.factory == nil {
		e.factory = NewFactory(e.secrets)
	}
	return e
}

// Evaluate runs every metric of the canary's analysis at time now and
// judges it against its thresholdRange, the way Flagger does:
//
//   - request-success-rate and request-duration are builtin queries of
//     the canary's provider (Builtin), run on q, or on spec.metricsServer
//     when set;
//   - a metric with templateRef (even one named like a builtin) runs the
//     MetricTemplate found in templates (namespace defaults to the
//     canary's), on the template's provider, or on q when it is a
//     prometheus template without address;
//   - a v1alpha3 inline query runs as written, on the same server as the
//     builtin queries.
//
// A metric without thresholdRange has max 0 (min 0 for
// request-success-rate), as in Flagger. request-duration compares and
// prints whole milliseconds. No data fails the check unless onNoData is
// "skip"; a query error fails it too. A metric with a compare block whose
// threshold check passed is then compared with the primary (see Compare).
// Every metric is run, in order; use Failed for the first failure.
func (ev *Evaluator) Evaluate(ctx context.Context, c *api.Canary, templates TemplateLookup, now time.Time) []Result {
	a := c.Spec.Analysis
	if a == nil {
		a = c.Spec.CanaryAnalysis
	}
	if a == nil {
		return nil
	}
	e := &evaluator{Evaluator: ev, c: c, templates: templates, now: now}
	out := make([]Result, 0, len(a.Metrics))
	for _, m := range a.Metrics {
		out = append(out, e.metric(ctx, m))
	}
	return out
}

// Evaluate is NewEvaluator(q, opts...).Evaluate(ctx, c, templates, now):
// for one-off evaluations; a process keeps one Evaluator.
func Evaluate(ctx context.Context, q Querier, c *api.Canary, templates TemplateLookup, now time.Time, opts ...EvalOption) []Result {
	return NewEvaluator(q, opts...).Evaluate(ctx, c, templates, now)
}

// evaluator is one evaluation of one canary.
type evaluator struct {
	*Evaluator
	c         *api.Canary
	templates TemplateLookup
	now       time.Time
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

// source is where and how a metric is measured.
type source struct {
	q Querier
	// query is the query for the canary; primary renders the query of its
	// primary, for a comparison.
	query    string
	primary  func() (string, error)
	kind     metricKind
	sampling Sampling
	// noValues is the halt text for no data, failText the one for an
	// error, which errPrefix prefixes.
	noValues  string
	failText  func(error) string
	errPrefix string
}

func (e *evaluator) builtin(ctx context.Context, m api.Metric) Result {
	provider := e.c.Spec.Provider
	query, err := BuiltinQuery(provider, m.Name, ModelFor(e.c, m))
	if err != nil {
		return failed(m, err, builtinQueryFailed(err))
	}
	q, halt, err := e.defaultQuerier(m)
	if err != nil {
		return failed(m, err, halt)
	}
	kind := kindSuccessRate
	if m.Name == api.MetricRequestDuration {
		kind = kindDuration
	}
	return e.measure(ctx, m, source{
		q: q, query: query, kind: kind, sampling: SampleRange,
		primary:  func() (string, error) { return BuiltinPrimaryQuery(provider, m.Name, ModelFor(e.c, m)) },
		noValues: haltNoValuesBuiltin(provider, m.Name, e.c.Spec.TargetRef.Name, e.c.Metadata.Namespace),
		failText: builtinQueryFailed, errPrefix: "running query failed",
	})
}

func (e *evaluator) inline(ctx context.Context, m api.Metric) Result {
	q, halt, err := e.defaultQuerier(m)
	if err != nil {
		return failed(m, err, halt)
	}
	return e.measure(ctx, m, source{
		q: q, query: m.Query, kind: kindCustom, sampling: SampleRange,
		primary: func() (string, error) {
			return "", fmt.Errorf("%w: an inline query does not change with the target; use a MetricTemplate", ErrNoPrimarySeries)
		},
		noValues: haltNoValuesInline(m.Name),
		failText: func(err error) string { return inlineQueryFailed(m.Name, err) },
	})
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
		err = fmt.Errorf("%s: spec.query: %w", t.Source, err)
		return failed(m, err, templateRenderFailed(name, ns, err))
	}
	q, err := e.templateQuerier(t, m)
	if err != nil {
		return failed(m, err, templateProviderFailed(name, ns, t.Spec.Provider.Type, err))
	}
	return e.measure(ctx, m, source{
		q: q, query: query, kind: kindCustom, sampling: SamplingOf(t.Spec.Provider.Type),
		primary: func() (string, error) {
			model := ModelFor(e.c, m)
			model.Target += "-primary"
			return Render(t.Spec.Query, model)
		},
		noValues: haltNoValuesCustom(m.Name),
		failText: func(err error) string { return customQueryFailed(m.Name, err) },
	})
}

// templateQuerier returns the Querier of a template's provider: the
// default server for a prometheus template without address.
func (e *evaluator) templateQuerier(t *MetricTemplate, m api.Metric) (Querier, error) {
	p := t.Spec.Provider
	if p.Address == "" && p.SecretRef == nil && !p.InsecureSkipVerify && len(p.Headers) == 0 && p.Type == ProviderPrometheus {
		if e.q == nil {
			return nil, errors.New("the template has no address and no default Prometheus server is configured")
		}
		return e.q, nil
	}
	return e.factory.Querier(p, t.Metadata.Namespace, m.Interval.Duration)
}

// measure runs the canary's query, judges it, and compares it with the
// primary when the metric asks and the threshold check passed.
func (e *evaluator) measure(ctx context.Context, m api.Metric, src source) Result {
	v, err := src.q.Query(ctx, src.query, e.now)
	switch {
	case errors.Is(err, ErrNoValuesFound):
		return noData(m, src.query, src.noValues)
	case err != nil:
		if src.errPrefix != "" {
			err = fmt.Errorf("%s: %w", src.errPrefix, err)
		}
		r := failed(m, err, src.failText(err))
		r.Query = src.query
		return r
	}
	r := judge(e.c.Key(), m, src.kind, src.query, v)
	if r.Passed && m.Compare != nil {
		e.compare(ctx, m, src, &r)
	}
	return r
}

// defaultQuerier is spec.metricsServer's Querier when set, q otherwise.
// On error it also returns the Flagger text to halt with.
func (e *evaluator) defaultQuerier(m api.Metric) (Querier, string, error) {
	if addr := e.c.Spec.MetricsServer; addr != "" {
		q, err := e.factory.Querier(Provider{Type: ProviderPrometheus, Address: addr}, e.c.Metadata.Namespace, m.Interval.Duration)
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
