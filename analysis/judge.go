package analysis

import (
	"fmt"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// judge compares a value with the metric's threshold range.
func judge(key string, m api.Metric, kind metricKind, query string, v float64) Result {
	r := Result{Metric: m.Name, Query: query, Value: v, Passed: true}
	lo, hi := bounds(m)
	var value string
	var limits []string
	switch kind {
	case kindSuccessRate:
		value = fmt.Sprintf("%.2f%%", v)
		if lo != nil && v < *lo {
			r.fail(haltSuccessRate(key, v, "<", *lo), value, "<", fmt.Sprintf("%v%%", *lo))
		} else if hi != nil && v > *hi {
			r.fail(haltSuccessRate(key, v, ">", *hi), value, ">", fmt.Sprintf("%v%%", *hi))
		}
		limits = boundTexts(lo, hi, func(b float64) string { return fmt.Sprintf("%v%%", b) })
	case kindDuration:
		d := msDuration(v)
		value = d.String()
		if lo != nil && d < msDuration(*lo) {
			r.fail(haltDuration(key, d, "<", msDuration(*lo)), value, "<", msDuration(*lo).String())
		} else if hi != nil && d > msDuration(*hi) {
			r.fail(haltDuration(key, d, ">", msDuration(*hi)), value, ">", msDuration(*hi).String())
		}
		limits = boundTexts(lo, hi, func(b float64) string { return msDuration(b).String() })
	default:
		value = fmt.Sprintf("%.2f", v)
		if lo != nil && v < *lo {
			r.fail(haltCustom(key, m.Name, v, "<", *lo), value, "<", fmt.Sprintf("%v", *lo))
		} else if hi != nil && v > *hi {
			r.fail(haltCustom(key, m.Name, v, ">", *hi), value, ">", fmt.Sprintf("%v", *hi))
		}
		limits = boundTexts(lo, hi, func(b float64) string { return fmt.Sprintf("%v", b) })
	}
	if r.Passed {
		r.Summary = summaryValue(m.Name, value, limits)
	} else {
		r.Summary = m.Name + " " + r.Summary
	}
	return r
}

// fail marks the result failed; the summary gets the metric name prefixed
// by judge.
func (r *Result) fail(halt, value, op, bound string) {
	r.Passed = false
	r.Halt = halt
	r.Summary = value + " " + op + " " + bound
}

// bounds returns the metric's threshold range; without one, Flagger checks
// against a zero threshold: a minimum for request-success-rate, a maximum
// for everything else.
func bounds(m api.Metric) (lo, hi *float64) {
	if r := m.ThresholdRange; r != nil {
		return r.Min, r.Max
	}
	zero := 0.0
	if m.Name == api.MetricRequestSuccessRate && m.TemplateRef == nil && m.Query == "" {
		return &zero, nil
	}
	return nil, &zero
}

func boundTexts(lo, hi *float64, format func(float64) string) []string {
	var out []string
	if lo != nil {
		out = append(out, ">= "+format(*lo))
	}
	if hi != nil {
		out = append(out, "<= "+format(*hi))
	}
	return out
}
