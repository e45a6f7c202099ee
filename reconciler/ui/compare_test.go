package ui

import (
	"net/http"
	"strings"
	"testing"
)

// TestComparisonShown: for a metric compared with its primary, the rollout
// page's steps show the comparison of each check, a worse canary as a
// failed check, and the metric's plot draws the primary's median beside
// the canary's values, on the same scale, each point linked to its commit.
func TestComparisonShown(t *testing.T) {
	w := newWorld(t, func(canary string) string {
		return strings.Replace(canary, "        interval: 30s\n", "        interval: 30s\n        compare:\n          direction: decrease\n          tolerance: 0.2%\n", 1)
	})
	w.primary = 99.95
	w.metrics(20, 99.95)
	if got := w.rollout("6.0.1"); got != "Succeeded" {
		t.Fatalf("6.0.1 (as good as its primary) ended %s", got)
	}
	w.metrics(20, 99.3)
	if got := w.rollout("6.0.2"); got != "Failed" {
		t.Fatalf("6.0.2 (worse than its primary) ended %s", got)
	}
	u := w.ui(DefaultOptions())
	commits := RolloutCommits(t, w.bare, "Bump podinfo to 6.0.2")
	code, page := u.get(t, "/canaries/test/podinfo/rollouts/"+commits[0].SHA[:12])
	if code != http.StatusOK {
		t.Fatalf("rollout page: %d\n%s", code, page)
	}
	worse := `<div class="metric bad">request-success-rate 99.30% &gt;= 99%; vs primary: worse, median 99.30% vs 99.95%, p=`
	if n := strings.Count(page, worse); n != 2 {
		t.Errorf("%d failed comparisons on the page, want 2 (%q)", n, worse)
	}
	src, areas := plotOn(t, page, "request-success-rate")
	var got []string
	for _, a := range areas {
		got = append(got, a.Value)
	}
	if want := "99.30% 99.95% 99.30% 99.95%"; strings.Join(got, " ") != want {
		t.Errorf("success rate points %q, want %q (the canary's, then its primary's median, per check)", strings.Join(got, " "), want)
	}
	if len(areas) == 4 {
		if areas[0].SHA != areas[1].SHA || !strings.HasPrefix(areas[1].Title, "request-success-rate of the primary: median 99.95%, the canary's 99.3%") ||
			!strings.Contains(areas[0].Title, "vs primary: worse") {
			t.Errorf("points: %+v", areas)
		}
	}
	checkPlot(t, u, src, areas, 99)
	if resp, svg := u.fetch(t, src); resp.StatusCode != http.StatusOK || !strings.Contains(svg, "primary (median)") {
		t.Errorf("the plot's legend does not name the primary's median")
	}
}
