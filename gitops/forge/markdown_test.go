package forge_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/gitops/forge"
)

func TestAnalysisTable(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	rows := []forge.StepRow{
		{Weight: 10, Time: t0, Metrics: []forge.MetricResult{
			{Name: "request-success-rate", Value: "99.87%", Threshold: ">= 99%", Passed: "✅"},
			{Name: "request-duration", Value: "212ms", Threshold: "<= 500ms", Passed: "✅"},
		}},
		{Weight: 20, Time: t0.Add(time.Minute), Metrics: []forge.MetricResult{
			{Name: "request-duration", Value: "612ms", Threshold: "<= 500ms", Passed: "❌"},
			{Name: "request-success-rate", Value: "99.90%", Threshold: ">= 99%", Passed: "✅"},
		}},
		{Weight: 20, Time: t0.Add(2 * time.Minute), Metrics: []forge.MetricResult{
			{Name: "request-success-rate", Value: "100%", Threshold: ">= 99%", Passed: "✅"},
			{Name: "error | rate", Value: "", Passed: "no data"},
		}},
	}
	want := `| Step | Time (UTC) | Weight | request-success-rate | request-duration | error \| rate |
|---:|---|---:|---|---|---|
| 1 | 2024-05-01 10:00:00 | 10 | 99.87% (>= 99%) ✅ | 212ms (<= 500ms) ✅ |  |
| 2 | 2024-05-01 10:01:00 | 20 | 99.90% (>= 99%) ✅ | 612ms (<= 500ms) ❌ |  |
| 3 | 2024-05-01 10:02:00 | 20 | 100% (>= 99%) ✅ |  | no data |
`
	if got := forge.AnalysisTable(rows); got != want {
		t.Errorf("AnalysisTable =\n%s\nwant\n%s", got, want)
	}
	if got := forge.AnalysisTable(nil); got != "" {
		t.Errorf("AnalysisTable(nil) = %q", got)
	}
}

func TestAnalysisTableFitsPullRequestBody(t *testing.T) {
	t.Parallel()
	row := forge.StepRow{Weight: 5, Time: time.Unix(0, 0), Metrics: []forge.MetricResult{
		{Name: "request-success-rate", Value: "99.87%", Threshold: ">= 99%", Passed: "✅"},
		{Name: "request-duration", Value: "212ms", Threshold: "<= 500ms", Passed: "✅"},
	}}
	rows := make([]forge.StepRow, 2000)
	for i := range rows {
		rows[i] = row
	}
	got := forge.AnalysisTable(rows)
	if len(got) > 60000 {
		t.Fatalf("table is %d bytes, GitHub allows 65536 in a body", len(got))
	}
	if !strings.HasPrefix(got, "_") || !strings.Contains(got, "earlier steps not shown") {
		t.Errorf("no note about omitted steps: %.100s", got)
	}
	if !strings.Contains(got, "| 2000 |") {
		t.Error("the latest step is missing")
	}
}
