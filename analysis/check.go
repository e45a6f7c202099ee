package analysis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// onlineQuery is what Flagger runs to see that a Prometheus server answers.
const onlineQuery = "vector(1)"

// ProvidersAvailable is Flagger's event text when every metrics provider of
// a canary answered (see CheckProviders).
const ProvidersAvailable = "all the metrics providers are available!"

// CheckProviders checks that the metrics provider of every metric of the
// canary answers with its credentials, as Flagger does once when a canary
// starts: the default Prometheus server (builtin and inline queries, or
// spec.metricsServer) with vector(1), and each MetricTemplate's provider
// with its own online check (Datadog's key validation, a CloudWatch call
// the credentials must be allowed, ...). The error joins one error per
// unreachable provider or missing template; show it with
// ProvidersCheckFailed, and ProvidersAvailable when it is nil. It fails no
// check by itself.
func (ev *Evaluator) CheckProviders(ctx context.Context, c *api.Canary, templates TemplateLookup) error {
	a := c.Spec.Analysis
	if a == nil {
		a = c.Spec.CanaryAnalysis
	}
	if a == nil {
		return nil
	}
	e := &evaluator{Evaluator: ev, c: c, templates: templates}
	var errs []error
	defaultChecked := false
	for _, m := range a.Metrics {
		if m.TemplateRef == nil {
			if defaultChecked || (m.Query == "" && !IsBuiltin(m.Name)) {
				continue
			}
			defaultChecked = true
			dq, _, err := e.defaultQuerier(m)
			if err == nil {
				err = isOnline(ctx, dq)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("prometheus not available: %w", err))
			}
			continue
		}
		name, ns := m.TemplateRef.Name, m.TemplateRef.Namespace
		if ns == "" {
			ns = c.Metadata.Namespace
		}
		var t *MetricTemplate
		ok := false
		if templates != nil {
			t, ok = templates.MetricTemplate(ns, name)
		}
		if !ok {
			errs = append(errs, fmt.Errorf("metric template %s.%s error: MetricTemplate %s/%s not found in the repository", name, ns, ns, name))
			continue
		}
		tq, err := e.templateQuerier(t, m)
		if err == nil {
			err = isOnline(ctx, tq)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s in metric template %s.%s not available: %w", t.Spec.Provider.Type, t.Metadata.Name, t.Metadata.Namespace, err))
		}
	}
	return errors.Join(errs...)
}

// CheckProviders is NewEvaluator(q, opts...).CheckProviders(ctx, c,
// templates).
func CheckProviders(ctx context.Context, q Querier, c *api.Canary, templates TemplateLookup, opts ...EvalOption) error {
	return NewEvaluator(q, opts...).CheckProviders(ctx, c, templates)
}

// isOnline uses the provider's own check, or Flagger's Prometheus probe.
func isOnline(ctx context.Context, q Querier) error {
	if oc, ok := q.(OnlineChecker); ok {
		return oc.IsOnline(ctx)
	}
	return online(ctx, q)
}

func online(ctx context.Context, q Querier) error {
	v, err := q.Query(ctx, onlineQuery, time.Time{})
	if err != nil {
		return fmt.Errorf("running query failed: %w", err)
	}
	if v != 1 {
		return fmt.Errorf("value is not 1 for query: %s", onlineQuery)
	}
	return nil
}
