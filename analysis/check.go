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

// CheckProviders checks that the metrics servers of every metric of the
// canary answer, as Flagger does when a canary is initialized. The error
// joins one error per unreachable server or missing template; show it with
// ProvidersCheckFailed. It does not fail a check by itself.
func CheckProviders(ctx context.Context, q Querier, c *api.Canary, templates TemplateLookup, opts ...EvalOption) error {
	a := c.Spec.Analysis
	if a == nil {
		return nil
	}
	e := &evaluator{q: q, c: c, templates: templates}
	for _, opt := range opts {
		opt(e)
	}
	if e.factory == nil {
		e.factory = NewPrometheusFactory("")
	}
	var errs []error
	defaultChecked := false
	for _, m := range a.Metrics {
		if m.TemplateRef == nil {
			if defaultChecked || (m.Query == "" && !IsBuiltin(m.Name)) {
				continue
			}
			defaultChecked = true
			dq, _, err := e.defaultQuerier()
			if err == nil {
				err = online(ctx, dq)
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
		var tq Querier
		var err error
		if p := t.Spec.Provider; p.Address == "" && p.SecretRef == nil && !p.InsecureSkipVerify {
			if tq = q; tq == nil {
				err = errors.New("no default Prometheus server configured")
			}
		} else {
			tq, err = e.factory.Querier(p, t.Metadata.Namespace)
		}
		if err == nil {
			err = online(ctx, tq)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s in metric template %s.%s not available: %w", t.Spec.Provider.Type, t.Metadata.Name, t.Metadata.Namespace, err))
		}
	}
	return errors.Join(errs...)
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
