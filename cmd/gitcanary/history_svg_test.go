package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHistorySVG: `history --svg` writes the plots of the last rollout (or
// of --rollout) as one SVG; the recorded rollout's is kept as a golden
// file to look at.
func TestHistorySVG(t *testing.T) {
	clone := recordedRollout(t)
	file := filepath.Join(t.TempDir(), "rollout.svg")
	out, err := gitcanary(t, "history", "podinfo", "--dir", clone, "--svg", file)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wrote := regexp.MustCompile(`Wrote the plots of rollout ([0-9a-f]{8}) \(Failed\) to ` + regexp.QuoteMeta(file) + "\n")
	if !wrote.MatchString(out) || !strings.Contains(out, "REVISION") {
		t.Errorf("output:\n%s", out)
	}
	svg, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg ", "Canary weight of podinfo.test · revision", "· Failed</text>", ">request-success-rate</text>", ">min 99%</text>", ">request-duration</text>", ">max 500ms</text>", ">2/2 failed</text>"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
	golden := filepath.Join("testdata", "history-rollout.svg")
	if *update {
		if err := os.WriteFile(golden, svg, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want, err := os.ReadFile(golden); err != nil || string(want) != string(svg) {
		t.Errorf("the SVG differs from %s (%v): go test ./cmd/gitcanary -run TestHistorySVG -update rewrites it", golden, err)
	}

	first := regexp.MustCompile(`(?m)^([0-9a-f]{8}) .*Succeeded`).FindStringSubmatch(out)
	if first == nil {
		t.Fatalf("no succeeded rollout in:\n%s", out)
	}
	if out, err := gitcanary(t, "history", "podinfo", "--dir", clone, "--svg", file, "--rollout", first[1]); err != nil || !strings.Contains(out, "("+"Succeeded) to") {
		t.Errorf("--rollout %s: %v\n%s", first[1], err, out)
	}
	if _, err := gitcanary(t, "history", "podinfo", "--dir", clone, "--svg", file, "--rollout", "deadbeef"); err == nil || err.Error() != "--rollout: canary podinfo.test has no rollout deadbeef" {
		t.Errorf("--rollout deadbeef: %v", err)
	}
}
