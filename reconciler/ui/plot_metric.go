package ui

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gitcanary/gitcanary/reconciler"
)

// measurement is a metric's value in a commit, and the weight the canary
// had while it was measured (the one before the commit's step).
type measurement struct {
	reconciler.MetricValue
	step       reconciler.Transition
	measuredAt int
}

// measurements returns each metric's values in the rollout's commits, by
// metric name in the order they first appear.
func measurements(steps []reconciler.Transition) ([]string, map[string][]measurement) {
	var names []string
	out := map[string][]measurement{}
	weight := 0
	for _, e := range steps {
		if e.Request != "" {
			continue
		}
		for _, m := range reconciler.ParseAnalysis(e.Body).Metrics {
			if !slices.Contains(names, m.Name) {
				names = append(names, m.Name)
			}
			out[m.Name] = append(out[m.Name], measurement{MetricValue: m, step: e, measuredAt: weight})
		}
		weight = e.Weight
	}
	return names, out
}

// metricCharts plots each metric of the rollout: its values (failed ones
// marked), its threshold as a dashed line, the primary's median where the
// metric is compared with the primary, and the checks that found no values
// along the bottom.
func metricCharts(steps []reconciler.Transition) []*chart {
	names, values := measurements(steps)
	xr := rolloutRange(steps)
	charts := make([]*chart, 0, len(names))
	for _, name := range names {
		charts = append(charts, metricChart(name, values[name], xr))
	}
	return charts
}

func metricChart(name string, ms []measurement, xr timeRange) *chart {
	unit := ""
	for _, m := range ms {
		if m.Unit != "" {
			unit = m.Unit
		}
	}
	ylabel := name
	if unit != "" {
		ylabel += " (" + unit + ")"
	}
	c := newChart(name, ylabel, xr, metricHeight)
	var passed, failed, line, primary plotter.XYs
	var noData []float64
	mins, maxs := thresholds{}, thresholds{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range ms {
		x := unix(m.step.Time)
		if m.Text == "" {
			noData = append(noData, x)
			continue
		}
		xy := plotter.XY{X: x, Y: m.Value}
		line = append(line, xy)
		if m.Passed {
			passed = append(passed, xy)
		} else {
			failed = append(failed, xy)
		}
		lo, hi = math.Min(lo, m.Value), math.Max(hi, m.Value)
		for _, b := range m.Bounds {
			t := &maxs
			if b.Min() {
				t = &mins
			}
			t.add(x, b)
			lo, hi = math.Min(lo, b.Value), math.Max(hi, b.Value)
		}
		title := fmt.Sprintf("%s %s %s at weight %d (%s, %s)", name, m.Text, m.Threshold(), m.measuredAt, m.step.SHA[:7], m.step.Time.Format("15:04:05"))
		if m.Detail != "" {
			title += "; " + m.Detail
		}
		c.marks = append(c.marks, mark{x: x, y: m.Value, sha: m.step.SHA, value: m.Text, title: title})
		if cmp := m.Compare; cmp != nil && !cmp.Inconclusive {
			primary = append(primary, plotter.XY{X: x, Y: cmp.PrimaryMedian})
			lo, hi = math.Min(lo, cmp.PrimaryMedian), math.Max(hi, cmp.PrimaryMedian)
			text := strconv.FormatFloat(cmp.PrimaryMedian, 'f', -1, 64) + m.Unit
			c.marks = append(c.marks, mark{x: x, y: cmp.PrimaryMedian, sha: m.step.SHA, value: text,
				title: fmt.Sprintf("%s of the primary: median %s, the canary's %s (%s, %s)", name, text, strconv.FormatFloat(cmp.CanaryMedian, 'f', -1, 64)+m.Unit, m.step.SHA[:7], m.step.Time.Format("15:04:05"))})
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	pad := math.Max((hi-lo)*0.15, math.Max(math.Abs(hi)*0.01, 0.5))
	c.p.Y.Min, c.p.Y.Max = lo-pad, hi+pad
	c.line("", line, colorMuted, false, plotter.NoStep)
	c.line(mins.name("min"), mins.xys(xr), colorThreshold, true, plotter.PostStep)
	c.line(maxs.name("max"), maxs.xys(xr), colorThreshold, true, plotter.PostStep)
	c.line("", primary, colorPrimary, false, plotter.NoStep)
	c.scatter("primary (median)", primary, draw.SquareGlyph{}, colorPrimary, 3)
	c.scatter("passed", passed, draw.CircleGlyph{}, colorPassed, 3.5)
	c.scatter("failed check", failed, draw.CrossGlyph{}, colorFailed, 6)
	var bottom plotter.XYs
	for _, x := range noData {
		bottom = append(bottom, plotter.XY{X: x, Y: c.p.Y.Min + pad/3})
	}
	c.scatter("no values found", bottom, draw.RingGlyph{}, colorFailed, 4)
	return c
}

// thresholds are a metric's bounds of one side, as the commits give them.
type thresholds struct {
	pts   plotter.XYs
	texts []string
}

func (t *thresholds) add(x float64, b reconciler.Bound) {
	t.pts = append(t.pts, plotter.XY{X: x, Y: b.Value})
	t.texts = append(t.texts, b.Text)
}

// name is the legend's text: "min 99%", or "min" when it changed during
// the rollout.
func (t *thresholds) name(side string) string {
	if len(t.texts) == 0 {
		return ""
	}
	for _, s := range t.texts[1:] {
		if s != t.texts[0] {
			return side
		}
	}
	return side + " " + t.texts[0]
}

// xys is the threshold line across the whole range: each commit's bound
// holds until the next commit.
func (t *thresholds) xys(xr timeRange) plotter.XYs {
	if len(t.pts) == 0 {
		return nil
	}
	out := plotter.XYs{{X: xr.min, Y: t.pts[0].Y}}
	for _, p := range t.pts {
		if p.Y != out[len(out)-1].Y {
			out = append(out, p)
		}
	}
	return append(out, plotter.XY{X: xr.max, Y: out[len(out)-1].Y})
}
