package reconciler

import (
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/gitops/forge"
	"github.com/gitcanary/gitcanary/reconciler/machine"
)

// Summary lines as analysis writes them for a metric with a compare block.
const (
	comparedLine = "request-success-rate 99.94% >= 99%; vs primary: median 99.93% vs 99.96%, p=5.4e-05, shift -0.02% (tolerance 0.50%)"
	worseLine    = "request-success-rate 99.28% >= 99%; vs primary: worse, median 99.27% vs 99.97%, p=3.9e-05, shift -0.72% (tolerance 0.50%)"
)

// TestProposalShowsComparison: the approval pull request's analysis table
// shows, for every step, the canary against its primary (medians, p-value,
// shift) next to the value and its threshold.
func TestProposalShowsComparison(t *testing.T) {
	g := newGitHubWorld(t, "      promotion: pullRequest")
	bumpImage(g.world, "6.0.1")
	g.setChecks([]machine.Check{{Metric: "request-success-rate", Passed: true, Summary: comparedLine, Value: 99.94, HasValue: true}})
	for range 7 {
		g.pass(tick)
	}
	prs := g.prs()
	if len(prs) != 1 {
		t.Fatalf("%d pull requests, want 1\n%s", len(prs), g.logs)
	}
	want := "| 99.94% (>= 99%; vs primary: median 99.93% vs 99.96%, p=5.4e-05, shift -0.02% (tolerance 0.50%)) yes |"
	if body := prs[0].GetBody(); !strings.Contains(body, want) {
		t.Errorf("pull request body lacks %q:\n%s", want, body)
	}
}

// A comparison that finds the canary worse fails its step in the table,
// although the value is within its threshold.
func TestAnalysisRowsComparison(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	events := []Transition{
		{Message: "New revision detected! Scaling up podinfo.test", Time: at},
		{Message: "Starting canary analysis for podinfo.test", Time: at.Add(time.Minute), Weight: 10},
		{Message: "Advance podinfo.test canary weight 20", Time: at.Add(2 * time.Minute), Weight: 20, Body: comparedLine},
		{Message: "Halt podinfo.test advancement request-success-rate canary 99.27% < primary 99.97% (p=3.9e-05)", Time: at.Add(3 * time.Minute), Weight: 20, Body: worseLine},
	}
	got := forge.AnalysisTable(analysisRows(events))
	want := `| Step | Time (UTC) | Weight | request-success-rate |
|---:|---|---:|---|
| 1 | 2026-11-22 10:02:00 | 10 | 99.94% (>= 99%; vs primary: median 99.93% vs 99.96%, p=5.4e-05, shift -0.02% (tolerance 0.50%)) yes |
| 2 | 2026-11-22 10:03:00 | 20 | 99.28% (>= 99%; vs primary: worse, median 99.27% vs 99.97%, p=3.9e-05, shift -0.72% (tolerance 0.50%)) no |
`
	if got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}
