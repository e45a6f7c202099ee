package ui

import (
	"fmt"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gitcanary/gitcanary/reconciler"
)

// weightChart plots a rollout's canary weight, one point per commit (a
// transition an approval pull request brought in at its merge), with its
// failed checks, the merges, the manual requests and the steps a sync
// gate held.
func weightChart(canary string, threshold int, steps []reconciler.Transition) *chart {
	title := "Canary weight of " + canary
	if n := len(steps); n > 0 {
		title += fmt.Sprintf(" · revision %s · %s", steps[n-1].Revision, steps[n-1].Phase)
	}
	c := newChart(title, "canary weight (%)", rolloutRange(steps), weightHeight)
	c.p.Y.Min, c.p.Y.Max = 0, 100
	c.p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 25, Label: "25"}, {Value: 50, Label: "50"}, {Value: 75, Label: "75"}, {Value: 100, Label: "100"}})

	var points, halts, merges, requests, gated plotter.XYs
	var haltText, mergeText, requestText []string
	weight, failed := 0, 0
	for _, e := range steps {
		x := unix(e.Time)
		if e.Merge != nil {
			x = unix(e.Merge.Time) // it took effect when the pull request was merged
		}
		if e.Request != "" {
			requests = append(requests, plotter.XY{X: x, Y: float64(weight)})
			requestText = append(requestText, e.Request+" by "+e.Author)
			continue
		}
		weight = e.Weight
		y := float64(weight)
		points = append(points, plotter.XY{X: x, Y: y})
		c.marks = append(c.marks, mark{x: x, y: y, sha: e.SHA, value: strconv.Itoa(weight),
			title: fmt.Sprintf("weight %d: %s (%s, %s)", weight, e.Message, e.SHA[:7], e.Time.Format("15:04:05"))})
		if e.Failed > failed {
			halts = append(halts, plotter.XY{X: x, Y: y})
			haltText = append(haltText, fmt.Sprintf("%d/%d failed", e.Failed, threshold))
		}
		failed = e.Failed
		if m := e.Merge; m != nil {
			merges = append(merges, plotter.XY{X: x, Y: y})
			mergeText = append(mergeText, mergeLabel(m))
		}
		if reconciler.ParseAnalysis(e.Body).SyncGate != "" {
			gated = append(gated, plotter.XY{X: x, Y: y})
		}
	}
	c.line("", points, colorWeight, false, plotter.PostStep)
	c.scatter("canary weight", points, draw.CircleGlyph{}, colorWeight, 3.5)
	c.scatter("failed check", halts, draw.RingGlyph{}, colorFailed, 6.5)
	c.labels(halts, haltText, colorFailed)
	c.scatter("sync gate", gated, draw.SquareGlyph{}, colorMuted, 6)
	c.scatter("approval merged", merges, draw.PyramidGlyph{}, colorGate, 5)
	c.labels(merges, mergeText, colorGate)
	c.scatter("manual request", requests, draw.TriangleGlyph{}, colorGate, 5)
	c.labels(requests, requestText, colorGate)
	return c
}

// mergeLabel says which pull request was merged, and by whom.
func mergeLabel(m *reconciler.Merge) string {
	if m.PullRequest > 0 {
		return fmt.Sprintf("#%d merged by %s", m.PullRequest, m.By)
	}
	return "merged by " + m.By
}
