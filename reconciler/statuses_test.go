package reconciler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommitStatusOnTheTriggeringCommit: the CI commit that started a
// rollout gets gitcanary/<name>.<namespace>: pending while the analysis
// runs, then success or failure; once per transition; a failed GitHub call
// is retried on the next pass without holding the rollout.
func TestCommitStatusOnTheTriggeringCommit(t *testing.T) {
	var gh *gateHub
	w := newGateWorld(t, "", func(w *world) []Option {
		var client Forge
		gh, client = newGateHub(t, w)
		return []Option{WithForge(client)}
	})
	w.pass(0)
	w.setChecks(pass)
	bumpImage(w.world, "6.0.1")
	bump := w.head()
	// A commit CI makes after the bump that does not touch the app is not
	// the trigger.
	w.ciCommit("docs", func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("release notes\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		gitRun(t, dir, "add", "NOTES.md")
	})

	w.pass(tick) // New revision detected
	gh.srv.FailNext(1, 502)
	w.pass(tick) // Starting canary analysis: GitHub fails once
	for range 10 {
		w.pass(tick)
	}
	if got := w.lastSubject(); got != "Promotion completed! Scaling down podinfo.test" {
		t.Fatalf("got %q", got)
	}
	var got []string
	for _, st := range gh.repo.Statuses(bump, "gitcanary/podinfo.test") {
		got = append(got, st.GetState()+": "+st.GetDescription())
	}
	// The status of "Starting canary analysis" (weight 10) failed; the
	// next pass replaced it with the next step's.
	want := []string{
		"pending: Progressing, canary weight 0%: New revision detected! Scaling up podinfo.test",
		"pending: Progressing, canary weight 20%: Advance podinfo.test canary weight 20",
		"pending: Progressing, canary weight 30%: Advance podinfo.test canary weight 30",
		"pending: Progressing, canary weight 40%: Advance podinfo.test canary weight 40",
		"pending: Progressing, canary weight 50%: Advance podinfo.test canary weight 50",
		"pending: Promoting, canary weight 50%: Copying podinfo.test template spec to podinfo-primary.test",
		"pending: Finalising, canary weight 0%: Routing all traffic to primary",
		"success: promoted in 1m20s",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("statuses on the bump %s:\n%s\n%s", bump[:7], strings.Join(got, "\n"), w.logs)
	}
	if docs := gh.repo.Statuses(w.head(), "gitcanary/podinfo.test"); len(docs) != 0 {
		t.Errorf("statuses on the last commit: %v", docs)
	}

	// A failing release: pending, then failure with the reason.
	bumpImage(w.world, "6.0.2")
	bad := w.head()
	w.setChecks(fail)
	for range 4 {
		w.pass(tick)
	}
	// GitHub fails when the rollback is reported: the status is set on the
	// next (idle) pass.
	gh.srv.FailNext(1, 502)
	w.pass(tick)
	if got := w.lastSubject(); got != "Rolling back podinfo.test failed checks threshold reached 2" {
		t.Fatalf("got %q", got)
	}
	if sts := gh.repo.Statuses(bad, "gitcanary/podinfo.test"); sts[len(sts)-1].GetState() != "pending" {
		t.Fatalf("the refused status was set: %v", sts[len(sts)-1])
	}
	w.pass(tick)
	sts := gh.repo.Statuses(bad, "gitcanary/podinfo.test")
	if len(sts) == 0 || sts[len(sts)-1].GetState() != "failure" || sts[len(sts)-1].GetDescription() != "rolled back: success rate 50.00% < 99%" {
		for _, st := range sts {
			t.Log(st.GetState(), st.GetDescription())
		}
		t.Fatal("no failure status on the failing release")
	}
}
