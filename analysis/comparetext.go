package analysis

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The comparison with the primary is written after the metric's value in
// its summary line (the commit body), following "; ", in one of these
// forms, and read back by ParseComparison:
//
//	vs primary: median 99.93% vs 99.96%, p=5.4e-05, shift -0.02% (tolerance 0.50%)
//	vs primary: worse, median 99.27% vs 99.97%, p=3.9e-05, shift -0.72% (tolerance 0.50%)
//	vs primary: inconclusive, 3 canary and 10 primary samples (want 5)
//	vs primary: inconclusive, 3 canary and 10 primary samples (want 5), skipped
var (
	comparedText     = regexp.MustCompile(`^vs primary: (worse, )?median (\S+) vs (\S+), p=(\S+), shift (\S+) \(tolerance (\S+)\)$`)
	inconclusiveText = regexp.MustCompile(`^vs primary: inconclusive, (\d+) canary and (\d+) primary samples \(want (\d+)\)(, skipped)?$`)
)

// text writes the comparison as the summary line's detail, values printed
// with format (the metric's unit).
func (c *Comparison) text(format func(float64) string) string {
	if c.Inconclusive {
		s := fmt.Sprintf("vs primary: inconclusive, %d canary and %d primary samples (want %d)", c.CanarySamples, c.PrimarySamples, c.MinSamples)
		if c.Skipped {
			s += ", skipped"
		}
		return s
	}
	verdict := ""
	if c.Worse {
		verdict = "worse, "
	}
	return fmt.Sprintf("vs primary: %smedian %s vs %s, p=%s, shift %s (tolerance %s)",
		verdict, format(c.CanaryMedian), format(c.PrimaryMedian), formatP(c.P), signed(format, c.Shift), format(c.Tolerance))
}

// Failed reports whether the comparison failed the check: the canary is
// worse, or the comparison was inconclusive and not skipped.
func (c *Comparison) Failed() bool {
	return c.Worse || (c.Inconclusive && !c.Skipped)
}

// ParseComparison reads the comparison written after "; " in a metric's
// summary line; the values are in the metric's unit (percent,
// milliseconds or plain), as ParseValue reads them. Sample counts are only
// written for an inconclusive comparison.
func ParseComparison(s string) (*Comparison, bool) {
	if m := inconclusiveText.FindStringSubmatch(s); m != nil {
		c := &Comparison{Inconclusive: true, Skipped: m[4] != ""}
		c.CanarySamples, _ = strconv.Atoi(m[1])
		c.PrimarySamples, _ = strconv.Atoi(m[2])
		c.MinSamples, _ = strconv.Atoi(m[3])
		return c, true
	}
	m := comparedText.FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	c := &Comparison{Worse: m[1] != ""}
	var err error
	if c.P, err = strconv.ParseFloat(m[4], 64); err != nil {
		return nil, false
	}
	for i, f := range []*float64{&c.CanaryMedian, &c.PrimaryMedian, &c.Shift, &c.Tolerance} {
		v, _, ok := ParseValue(m[[]int{2, 3, 5, 6}[i]])
		if !ok {
			return nil, false
		}
		*f = v
	}
	return c, true
}

// ParseValue reads a value as the summary lines print it: a percentage
// ("99.87%", unit "%"), a request duration ("212ms", "1.2s", "-5ms": in
// milliseconds, unit "ms") or a number ("0.53", unit "").
func ParseValue(s string) (v float64, unit string, ok bool) {
	if p, found := strings.CutSuffix(s, "%"); found {
		v, err := strconv.ParseFloat(p, 64)
		return v, "%", err == nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, "", true
	}
	if d, err := time.ParseDuration(s); err == nil {
		return float64(d) / float64(time.Millisecond), "ms", true
	}
	return 0, "", false
}

// valueFormat prints values of a metric kind as its summary line does.
func valueFormat(kind metricKind) func(float64) string {
	switch kind {
	case kindSuccessRate:
		return func(v float64) string { return fmt.Sprintf("%.2f%%", v) }
	case kindDuration:
		return func(v float64) string { return msDuration(v).String() }
	}
	return func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
}

func signed(format func(float64) string, v float64) string {
	if v >= 0 {
		return "+" + format(v)
	}
	return format(v)
}

func formatP(p float64) string { return strconv.FormatFloat(p, 'g', 2, 64) }
