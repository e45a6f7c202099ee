package reconciler

// Regression tests for sync gate bugs found while writing syncgate_test.go
// (they use its helpers): a success without a time, a stale status on the
// canary's own commit beating a success on a later head, incomplete gates.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/gitops/forge"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/api/apitest"
)

// atlessForge reports a success without a time, as a Forge other than
// GitHub (or a status without updated_at) might.
type atlessForge struct {
	Forge
}

func (atlessForge) CommitChecks(context.Context, string, string) (forge.CheckState, error) {
	return forge.CheckState{State: forge.CheckSuccess, Found: true, Context: gateFluxContext, Description: "ok"}, nil
}

func (atlessForge) SetCommitStatus(context.Context, string, string, string, string, string) error {
	return nil
}

// Bug 1: syncgate.go, `if gate.Since.IsZero() { gate.Since = now }`: an open
// gate without a time opens "now" on every pass, so the analysis window
// (Since + interval) never ends, and an open gate never times out: the
// canary is stuck for ever.
func TestSyncGateRegressionSyncGateOpenWithoutTimeNeverAdvances(t *testing.T) {
	w := newGateWorld(t, gateCommitStatus, func(*world) []Option { return []Option{WithForge(atlessForge{})} })
	startGated(t, w)
	for range 60 { // 10 minutes, twice the gate's timeout
		w.pass(tick)
	}
	if got := w.lastSubject(); got == "New revision detected! Scaling up podinfo.test" {
		t.Fatalf("the canary never advanced past %q with an open gate", got)
	}
}

// Bug 2: syncgate.go, `if err == nil && !cs.Found && sha != head`: the later
// head is only asked when the canary's commit has no status at all. A stale
// failure on the canary's commit wins over Flux's success on a later head
// that includes it (the cluster applied the canary's commit fine):
// gitcanary counts a failed check.
func TestSyncGateRegressionSyncGateStaleFailureBeatsLaterSuccess(t *testing.T) {
	w, gh := newCommitStatusGateWorld(t, gateCommitStatus)
	newRev := startGated(t, w)
	gh.setStatus(newRev, "failure", "health check failed")
	w.ciCommit("fix by a human", func(dir string) {
		replaceIn(t, dir, "clusters/demo/apps.yaml", "interval: 1m", "interval: 5m")
	})
	w.now = w.now.Add(time.Second)
	gh.setStatus(w.head(), "success", "reconciliation succeeded")
	w.pass(tick)
	w.pass(tick)
	if got := w.subjects(); strings.Contains(strings.Join(got, "\n"), "Halt podinfo.test advancement sync gate") {
		t.Fatalf("halted on a stale failure although a later head was applied:\n%s", strings.Join(got, "\n"))
	}
}

// Bug 2b: same line: a pending status on the canary's commit (an agent
// that moved on to a later revision never resolves it) hides the success
// on the later head until the gate times out.
func TestSyncGateRegressionSyncGateStalePendingBeatsLaterSuccess(t *testing.T) {
	w, gh := newCommitStatusGateWorld(t, gateCommitStatus)
	newRev := startGated(t, w)
	gh.setStatus(newRev, "pending", "progressing")
	w.ciCommit("later commit by a human", func(dir string) {
		replaceIn(t, dir, "clusters/demo/apps.yaml", "interval: 1m", "interval: 5m")
	})
	gh.setStatus(w.head(), "success", "reconciliation succeeded")
	for range 3 {
		w.pass(tick)
	}
	if got := w.lastSubject(); got != "Starting canary analysis for podinfo.test" {
		t.Fatalf("a success on the later head did not open the gate: last commit %q", got)
	}
}

// Bug 3: api/validate.go accepts syncGate type commitStatus without
// context (matchContext("") matches nothing: every step times out) and
// type prometheus without query (the subquery does not parse: every step
// times out).
func TestSyncGateRegressionSyncGateIncompleteConfigIsValid(t *testing.T) {
	for gate, field := range map[string]string{
		"    stepWeight: 10\n  gitops:\n    syncGate:\n      type: commitStatus\n": "spec.gitops.syncGate.context: is required",
		"    stepWeight: 10\n  gitops:\n    syncGate:\n      type: prometheus\n":   "spec.gitops.syncGate.query: is required",
	} {
		doc := apitest.Head + "    interval: 10s\n" + gate
		if _, err := api.ParseCanaries("canary.yaml", []byte(doc), ""); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("incomplete gate: %v, want %q", err, field)
		}
	}
}
