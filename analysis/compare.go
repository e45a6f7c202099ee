package analysis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gitcanary/gitcanary/analysis/stats"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Defaults of a metric's compare block.
const (
	DefaultConfidence = 0.95
	DefaultMinSamples = 5
	// SamplesPerInterval is how many samples a range query asks for over
	// the metric interval (at least one second apart).
	SamplesPerInterval = 10
	// baselinePrimary is the only baseline: the primary workload.
	baselinePrimary = "primary"
	// keptChecks bounds the samples kept for providers compared check by
	// check: the last ones, no older than keptChecks metric intervals.
	keptChecks = 20
)

// Comparison is a metric of the canary judged against the same metric of
// its primary. Values are in the metric's unit.
type Comparison struct {
	// CanarySamples and PrimarySamples are how many samples each side had;
	// MinSamples is how many each side needs.
	CanarySamples  int `json:"canarySamples,omitempty"`
	PrimarySamples int `json:"primarySamples,omitempty"`
	MinSamples     int `json:"minSamples,omitempty"`
	// CanaryMedian and PrimaryMedian are the medians of the samples.
	CanaryMedian  float64 `json:"canaryMedian"`
	PrimaryMedian float64 `json:"primaryMedian"`
	// P is the one-sided Mann-Whitney p-value that the canary is worse.
	P float64 `json:"p"`
	// Shift is the Hodges-Lehmann estimate of canary minus primary.
	Shift float64 `json:"shift"`
	// Tolerance is the allowed worsening.
	Tolerance float64 `json:"tolerance"`
	// Inconclusive is set when a side had fewer samples than MinSamples;
	// Skipped when the metric says onNoData: skip, so the check passed.
	Inconclusive bool `json:"inconclusive,omitempty"`
	Skipped      bool `json:"skipped,omitempty"`
	// Worse is set when the canary is worse with the asked confidence by
	// more than the tolerance.
	Worse bool `json:"worse,omitempty"`
}

// compareSpec is a compare block with its defaults applied.
type compareSpec struct {
	decrease   bool
	tolerance  api.Amount
	confidence float64
	minSamples int
}

func specOf(m api.Metric) (compareSpec, error) {
	c := m.Compare
	s := compareSpec{tolerance: c.Tolerance, confidence: c.Confidence, minSamples: c.MinSamples}
	switch c.Direction {
	case "decrease":
		s.decrease = true
	case "increase":
	case "":
		switch {
		case m.Name == api.MetricRequestSuccessRate && m.TemplateRef == nil:
			s.decrease = true
		case m.Name == api.MetricRequestDuration && m.TemplateRef == nil:
		default:
			return s, errors.New("compare.direction is required: decrease or increase, the direction that is worse")
		}
	default:
		return s, fmt.Errorf("compare.direction must be decrease or increase, got %q", c.Direction)
	}
	if s.confidence == 0 {
		s.confidence = DefaultConfidence
	}
	if s.minSamples == 0 {
		s.minSamples = DefaultMinSamples
	}
	return s, nil
}

// tolerance returns the amount in the metric's unit: a percentage is of
// the baseline's median.
func tolerance(a api.Amount, baseline float64) (float64, error) {
	s := strings.TrimSpace(string(a))
	if s == "" {
		return 0, nil
	}
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || v < 0 || v != v {
		return 0, fmt.Errorf("compare.tolerance must be a non-negative number or percentage, got %q", string(a))
	}
	if pct {
		if baseline < 0 {
			baseline = -baseline
		}
		return v / 100 * baseline, nil
	}
	return v, nil
}

// CheckCompare validates the compare blocks of a canary's metrics and
// returns one *api.FieldError per problem, joined; nil when they are fine.
func CheckCompare(c *api.Canary) error {
	a := c.Spec.Analysis
	if a == nil {
		a = c.Spec.CanaryAnalysis
	}
	if a == nil {
		return nil
	}
	var errs []error
	obj := fmt.Sprintf("%s %s/%s", api.KindCanary, c.Metadata.Namespace, c.Metadata.Name)
	for i, m := range a.Metrics {
		if m.Compare == nil {
			continue
		}
		add := func(field, format string, args ...any) {
			f := fmt.Sprintf("spec.analysis.metrics[%d].compare", i)
			if field != "" {
				f += "." + field
			}
			errs = append(errs, &api.FieldError{Source: c.Source, Object: obj, Field: f, Msg: fmt.Sprintf(format, args...)})
		}
		switch {
		case m.TemplateRef != nil:
		case m.Query != "":
			add("", "needs a query that names the target: an inline query cannot be rendered for the primary; use a MetricTemplate with {{ target }}")
		case IsBuiltin(m.Name):
			if _, err := BuiltinPrimaryQuery(c.Spec.Provider, m.Name, ModelFor(c, m)); errors.Is(err, ErrNoPrimarySeries) {
				add("", "%v", err)
			}
		}
		cmp := m.Compare
		if cmp.Baseline != "" && cmp.Baseline != baselinePrimary {
			add("baseline", "must be %s, got %q", baselinePrimary, cmp.Baseline)
		}
		if _, err := specOf(m); err != nil {
			add("direction", "%s", strings.TrimPrefix(err.Error(), "compare.direction "))
		}
		if _, err := tolerance(cmp.Tolerance, 1); err != nil {
			add("tolerance", "must be a non-negative number or percentage, got %q", string(cmp.Tolerance))
		}
		if cmp.Confidence != 0 && (cmp.Confidence <= 0 || cmp.Confidence >= 1 || cmp.Confidence != cmp.Confidence) {
			add("confidence", "must be between 0 and 1, got %v", cmp.Confidence)
		}
		if cmp.MinSamples != 0 && (cmp.MinSamples < 3 || cmp.MinSamples > 1000) {
			add("minSamples", "must be between 3 and 1000, got %d", cmp.MinSamples)
		}
	}
	return errors.Join(errs...)
}

// compare samples the canary and the primary, runs the test and updates
// r: a failed check when the canary is worse, or when the comparison is
// inconclusive and onNoData is not skip.
func (e *evaluator) compare(ctx context.Context, m api.Metric, src source, r *Result) {
	spec, err := specOf(m)
	if err != nil {
		r.fail(compareFailed(e.c.Key(), m.Name, err), "", "", "")
		r.Err, r.Summary = err, summaryError(m.Name, err)
		return
	}
	primaryQuery, err := src.primary()
	if err == nil && strings.Join(strings.Fields(primaryQuery), " ") == strings.Join(strings.Fields(src.query), " ") {
		err = fmt.Errorf("%w: the query is the same for the primary (it does not use {{ target }})", ErrNoPrimarySeries)
	}
	if err != nil {
		r.Passed, r.Err, r.Halt, r.Summary = false, err, compareFailed(e.c.Key(), m.Name, err), summaryError(m.Name, err)
		return
	}
	canary, err := e.samples(ctx, m, src, src.query, "canary", r.Value)
	var primary []float64
	if err == nil {
		primary, err = e.samples(ctx, m, src, primaryQuery, "primary", 0)
	}
	if err != nil && !isNoValues(err) {
		err = fmt.Errorf("sampling for the comparison with the primary: %w", err)
		r.Passed, r.Err, r.Halt, r.Summary = false, err, src.failText(err), summaryError(m.Name, err)
		return
	}
	cmp := &Comparison{CanarySamples: len(canary), PrimarySamples: len(primary), MinSamples: spec.minSamples,
		CanaryMedian: stats.Median(canary), PrimaryMedian: stats.Median(primary)}
	r.Compare = cmp
	format := valueFormat(src.kind)
	if len(canary) < spec.minSamples || len(primary) < spec.minSamples {
		cmp.Inconclusive, cmp.Skipped = true, m.OnNoData == "skip"
		r.Summary += "; " + cmp.text(format)
		if !cmp.Skipped {
			r.Passed = false
			r.Halt = fmt.Sprintf("Halt %s advancement %s comparison with primary inconclusive", e.c.Key(), m.Name)
		}
		return
	}
	alt := stats.Greater
	if spec.decrease {
		alt = stats.Less
	}
	test, err := stats.MannWhitney(canary, primary, alt)
	if err != nil {
		r.Passed, r.Err, r.Halt, r.Summary = false, err, src.failText(err), summaryError(m.Name, err)
		return
	}
	cmp.P = test.P
	cmp.Shift = stats.HodgesLehmann(canary, primary)
	cmp.Tolerance, _ = tolerance(spec.tolerance, cmp.PrimaryMedian)
	worseBy := cmp.Shift
	if spec.decrease {
		worseBy = -worseBy
	}
	cmp.Worse = test.P < 1-spec.confidence && worseBy > cmp.Tolerance
	r.Summary += "; " + cmp.text(format)
	if cmp.Worse {
		op := ">"
		if spec.decrease {
			op = "<"
		}
		r.Passed = false
		r.Halt = fmt.Sprintf("Halt %s advancement %s canary %s %s primary %s (p=%s)", e.c.Key(), m.Name, format(cmp.CanaryMedian), op, format(cmp.PrimaryMedian), formatP(cmp.P))
	}
}

// samples returns the samples of one side: a range query, instant queries
// over the interval, or the values of the last checks (measured is the
// canary's value of this check, already measured).
func (e *evaluator) samples(ctx context.Context, m api.Metric, src source, query, side string, measured float64) ([]float64, error) {
	interval := m.Interval.Duration
	if interval <= 0 {
		interval = time.Minute
	}
	end := e.now
	if end.IsZero() {
		end = time.Now()
	}
	step := max(interval/SamplesPerInterval, time.Second)
	rq, isRange := src.q.(RangeQuerier)
	switch {
	case src.sampling == SampleRange && isRange:
		return rq.QueryRange(ctx, query, end.Add(-interval), end, step)
	case src.sampling == SampleRange || src.sampling == SampleWindows:
		var out []float64
		for t := end.Add(-interval).Add(step); !t.After(end); t = t.Add(step) {
			v, err := src.q.Query(ctx, query, t)
			if isNoValues(err) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	v := measured
	if side != "canary" {
		var err error
		if v, err = src.q.Query(ctx, query, e.now); err != nil {
			return nil, err
		}
	}
	key := e.c.Key() + "\x00" + m.Name + "\x00" + side + "\x00" + query
	return e.Evaluator.samples.add(key, end, v, interval*keptChecks), nil
}

// sampleStore keeps one sample per check of the providers compared check
// by check, in memory: a restart starts over (inconclusive until enough
// checks ran again).
type sampleStore struct {
	mu   sync.Mutex
	byID map[string][]timedSample
}

type timedSample struct {
	t time.Time
	v float64
}

func newSampleStore() *sampleStore { return &sampleStore{byID: map[string][]timedSample{}} }

// add records v at t and returns the samples of key no older than keep.
func (s *sampleStore) add(key string, t time.Time, v float64, keep time.Duration) []float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var kept []timedSample
	for _, x := range s.byID[key] {
		if t.Sub(x.t) < keep && !x.t.After(t) {
			kept = append(kept, x)
		}
	}
	kept = append(kept, timedSample{t, v})
	if len(kept) > keptChecks {
		kept = kept[len(kept)-keptChecks:]
	}
	s.byID[key] = kept
	out := make([]float64, len(kept))
	for i, x := range kept {
		out[i] = x.v
	}
	return out
}

func compareFailed(key, metric string, err error) string {
	return fmt.Sprintf("Halt %s advancement %s comparison with primary failed: %v", key, metric, err)
}
