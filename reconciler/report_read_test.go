package reconciler

import (
	"context"
	"reflect"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gitcanary/gitcanary/analysis"
)

// TestEventsShowGates: a merged approval pull request and a manual request
// are in a canary's events as the UI shows them: the transition the merge
// brought in names the pull request and who merged it (the merge commit's
// author); the request commit names its action and who asked, and is not a
// rollout's outcome.
func TestEventsShowGates(t *testing.T) {
	g := newGitHubWorld(t, "      promotion: pullRequest")
	g.toPromotionGate()
	merge, err := g.gh.MergeExternally(1)
	if err != nil {
		t.Fatal(err)
	}
	g.pass(tick) // Routing all traffic to primary
	g.request("pause")

	head := plumbing.NewHash(gitRun(t, g.remote, "rev-parse", "main"))
	if _, err := g.rec.repo.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	events, err := Events(context.Background(), g.rec.repo, head, "test/podinfo")
	if err != nil {
		t.Fatal(err)
	}
	var copying, request *Transition
	for i, e := range events {
		switch e.Message {
		case "Copying podinfo.test template spec to podinfo-primary.test":
			copying = &events[i]
		case "Pause podinfo.test requested by Jane Doe":
			request = &events[i]
		}
	}
	if copying == nil || request == nil {
		t.Fatalf("events lack the merged promotion or the request: %+v", events)
	}
	want := &Merge{SHA: merge, Time: copying.Merge.Time, By: "ci", PullRequest: 1}
	if !reflect.DeepEqual(copying.Merge, want) {
		t.Errorf("merge = %+v, want %+v", copying.Merge, want)
	}
	if request.Request != "pause" || request.Author != "Jane Doe" || request.Phase != "" || request.Merge != nil {
		t.Errorf("request = %+v", request)
	}
	rollouts := Rollouts(events)
	last := rollouts[len(rollouts)-1]
	if last.Outcome != "Finalising" || last.Revision == "" {
		t.Errorf("a pending request is the rollout's outcome: %+v", last)
	}
	steps := last.Transitions(events)
	if steps[0].Message != "New revision detected! Scaling up podinfo.test" || steps[len(steps)-1].Message != "Routing all traffic to primary" {
		t.Errorf("rollout transitions from %q to %q", steps[0].Message, steps[len(steps)-1].Message)
	}
}

func TestParseAnalysis(t *testing.T) {
	body := `Advance podinfo.test canary weight 25
Pre-rollout check smoke passed

request-success-rate 99.87% >= 99%
request-duration 1.2s > 500ms
latency 0.53 >= 0.1, <= 2
error-rate no values found
queue-depth no values found, skipped
cpu error: Prometheus query failed: connection refused
request-success-rate 99.28% >= 99%; vs primary: worse, median 99.27% vs 99.97%, p=3.9e-05, shift -0.72% (tolerance 0.50%)
request-success-rate 99.94% >= 99%; vs primary: median 99.93% vs 99.96%, p=5.4e-05, shift -0.02% (tolerance 0.50%)
errors 0.10 <= 1; vs primary: inconclusive, 1 canary and 1 primary samples (want 5)
errors 0.10 <= 1; vs primary: inconclusive, 1 canary and 1 primary samples (want 5), skipped
sync gate: kustomization/apps: reconciliation succeeded, 1.2s after the last commit`
	got := ParseAnalysis(body)
	want := Analysis{
		SyncGate: "sync gate: kustomization/apps: reconciliation succeeded, 1.2s after the last commit",
		Metrics: []MetricValue{
			{Name: "request-success-rate", Text: "99.87%", Value: 99.87, Unit: "%", Passed: true, Bounds: []Bound{{">=", "99%", 99}}},
			{Name: "request-duration", Text: "1.2s", Value: 1200, Unit: "ms", Bounds: []Bound{{">", "500ms", 500}}},
			{Name: "latency", Text: "0.53", Value: 0.53, Passed: true, Bounds: []Bound{{">=", "0.1", 0.1}, {"<=", "2", 2}}},
			{Name: "error-rate", NoData: true},
			{Name: "queue-depth", NoData: true, Skipped: true, Passed: true},
			{Name: "cpu", Error: "Prometheus query failed: connection refused"},
			{Name: "request-success-rate", Text: "99.28%", Value: 99.28, Unit: "%", Passed: false, Bounds: []Bound{{">=", "99%", 99}},
				Detail:  "vs primary: worse, median 99.27% vs 99.97%, p=3.9e-05, shift -0.72% (tolerance 0.50%)",
				Compare: &analysis.Comparison{CanaryMedian: 99.27, PrimaryMedian: 99.97, P: 3.9e-05, Shift: -0.72, Tolerance: 0.5, Worse: true}},
			{Name: "request-success-rate", Text: "99.94%", Value: 99.94, Unit: "%", Passed: true, Bounds: []Bound{{">=", "99%", 99}},
				Detail:  "vs primary: median 99.93% vs 99.96%, p=5.4e-05, shift -0.02% (tolerance 0.50%)",
				Compare: &analysis.Comparison{CanaryMedian: 99.93, PrimaryMedian: 99.96, P: 5.4e-05, Shift: -0.02, Tolerance: 0.5}},
			{Name: "errors", Text: "0.10", Value: 0.1, Passed: false, Bounds: []Bound{{"<=", "1", 1}},
				Detail:  "vs primary: inconclusive, 1 canary and 1 primary samples (want 5)",
				Compare: &analysis.Comparison{CanarySamples: 1, PrimarySamples: 1, MinSamples: 5, Inconclusive: true}},
			{Name: "errors", Text: "0.10", Value: 0.1, Passed: true, Bounds: []Bound{{"<=", "1", 1}},
				Detail:  "vs primary: inconclusive, 1 canary and 1 primary samples (want 5), skipped",
				Compare: &analysis.Comparison{CanarySamples: 1, PrimarySamples: 1, MinSamples: 5, Inconclusive: true, Skipped: true}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseAnalysis =\n%+v\nwant\n%+v", got, want)
	}
	if th := got.Metrics[2].Threshold(); th != ">= 0.1, <= 2" {
		t.Errorf("Threshold() = %q", th)
	}
	if !got.Metrics[0].Bounds[0].Min() || got.Metrics[1].Bounds[0].Min() {
		t.Errorf("Min(): >= is a minimum, > is a maximum")
	}
}
