package machine

import (
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// gateFluxContext is a commit status context as Flux notification-controller
// sets it.
const gateFluxContext = "kustomization/apps/3f2a1b4c"

const tick10s = 10 * time.Second

// TestDecideSyncGate lists what Decide does with Observation.Gate. No I/O.
func TestDecideSyncGate(t *testing.T) {
	t.Parallel()
	const base = "    stepWeight: 20\n    maxWeight: 50\n    threshold: 2\n"
	const commitStatus = "  gitops:\n    syncGate:\n      type: commitStatus\n      context: kustomization/apps\n      timeout: 1m\n"
	const promQL = "  gitops:\n    syncGate:\n      type: prometheus\n      query: up\n      timeout: 1m\n"
	const noTimeout = "  progressDeadlineSeconds: 300\n  gitops:\n    syncGate:\n      type: commitStatus\n      context: kustomization/apps\n"
	const none = "  gitops:\n    syncGate:\n      type: none\n"
	status := func(phase api.Phase, weight, failed int) api.Status {
		return api.Status{Phase: phase, CanaryWeight: weight, FailedChecks: failed,
			LastAppliedSpec: "v2", LastPromotedSpec: "v1", LastPromotedCommit: "c1", LastTransitionTime: t0}
	}
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	open := func(since time.Duration) *Gate {
		return &Gate{Open: true, Since: at(since), Detail: gateFluxContext + ": reconciliation succeeded"}
	}
	closed := &Gate{}
	failed := &Gate{Failed: true, Detail: gateFluxContext + ": health check failed"}
	const gateLine = "sync gate: " + gateFluxContext + ": reconciliation succeeded, 15s after the last commit"
	tests := []struct {
		name    string
		gitops  string
		st      api.Status
		rev     string
		now     time.Time
		gate    *Gate
		checks  []Check
		request *Request

		needGate   bool
		needChecks bool
		commit     bool
		wait       string // part of Decision.Wait when nothing happens
		phase      api.Phase
		weight     int
		failed     int
		events     string
		body       []string
	}{
		{name: "gate not asked yet", gitops: commitStatus, st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: at(tick10s),
			needGate: true},
		{name: "not due: the gate is not asked", gitops: commitStatus, st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: at(9 * time.Second),
			wait: "next step due in 1s"},
		{name: "closed", gitops: commitStatus, st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: at(59 * time.Second), gate: closed,
			wait: "waiting for the sync gate kustomization/apps"},
		{name: "closed past the timeout", gitops: commitStatus, st: status(api.PhaseProgressing, 20, 1), rev: "v2", now: at(time.Minute), gate: closed,
			commit: true, phase: api.PhaseProgressing, weight: 20, failed: 2,
			events: "Halt podinfo.test advancement sync gate kustomization/apps not open after 1m0s"},
		{name: "timeout defaults to progressDeadlineSeconds", gitops: noTimeout, st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: at(5*time.Minute - time.Second), gate: closed,
			wait: "waiting for the sync gate"},
		{name: "progressDeadlineSeconds passed", gitops: noTimeout, st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: at(5 * time.Minute), gate: closed,
			commit: true, phase: api.PhaseProgressing, weight: 20, failed: 1,
			events: "Halt podinfo.test advancement sync gate kustomization/apps not open after 5m0s"},
		{name: "failed", gitops: commitStatus, st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: at(tick10s), gate: failed,
			commit: true, phase: api.PhaseProgressing, weight: 20, failed: 1,
			events: "Halt podinfo.test advancement sync gate kustomization/apps failed: " + gateFluxContext + ": health check failed"},
		{name: "failed at weight 0", gitops: commitStatus, st: status(api.PhaseProgressing, 0, 0), rev: "v2", now: at(tick10s), gate: failed,
			commit: true, phase: api.PhaseProgressing, failed: 1,
			events: "Halt podinfo.test advancement sync gate kustomization/apps failed: " + gateFluxContext + ": health check failed"},
		{name: "open, window not elapsed", gitops: commitStatus, st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: at(20 * time.Second), gate: open(15 * time.Second),
			wait: "sync gate open; analysis window ends in 5s"},
		{name: "open, window elapsed: measure", gitops: commitStatus, st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: at(25 * time.Second), gate: open(15 * time.Second),
			needChecks: true},
		{name: "open, checks pass: advance", gitops: commitStatus, st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: at(25 * time.Second), gate: open(15 * time.Second), checks: pass,
			commit: true, phase: api.PhaseProgressing, weight: 40, events: "Advance podinfo.test canary weight 40",
			body: []string{gateLine, "request-success-rate 100.00% >= 99%"}},
		{name: "open, checks fail: halt", gitops: commitStatus, st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: at(25 * time.Second), gate: open(15 * time.Second), checks: fail,
			commit: true, phase: api.PhaseProgressing, weight: 20, failed: 1, events: "Halt podinfo.test advancement success rate 50.00% < 99%",
			body: []string{gateLine, "request-success-rate 50.00% < 99%"}},
		{name: "open at weight 0: start", gitops: commitStatus, st: status(api.PhaseProgressing, 0, 0), rev: "v2", now: at(25 * time.Second), gate: open(15 * time.Second),
			commit: true, phase: api.PhaseProgressing, weight: 20,
			events: "Starting canary analysis for podinfo.test | Advance podinfo.test canary weight 20", body: []string{gateLine}},
		{name: "open past the timeout is open", gitops: commitStatus, st: status(api.PhaseProgressing, 0, 0), rev: "v2", now: at(2 * time.Minute), gate: open(55 * time.Second),
			commit: true, phase: api.PhaseProgressing, weight: 20,
			events: "Starting canary analysis for podinfo.test | Advance podinfo.test canary weight 20",
			body:   []string{"sync gate: " + gateFluxContext + ": reconciliation succeeded, 55s after the last commit"}},
		{name: "opened before the last commit", gitops: commitStatus, st: status(api.PhaseProgressing, 0, 0), rev: "v2", now: at(tick10s), gate: open(-time.Minute),
			commit: true, phase: api.PhaseProgressing, weight: 20,
			events: "Starting canary analysis for podinfo.test | Advance podinfo.test canary weight 20",
			body:   []string{"sync gate: " + gateFluxContext + ": reconciliation succeeded, 0s after the last commit"}},
		{name: "max weight: promotion waits for the gate", gitops: commitStatus, st: status(api.PhaseProgressing, 60, 0), rev: "v2", now: at(tick10s),
			needGate: true},
		{name: "promoting waits for the gate", gitops: commitStatus, st: status(api.PhasePromoting, 60, 0), rev: "v2", now: at(tick10s),
			needGate: true},
		{name: "promoting, gate open", gitops: commitStatus, st: status(api.PhasePromoting, 60, 0), rev: "v2", now: at(25 * time.Second), gate: open(15 * time.Second),
			commit: true, phase: api.PhaseFinalising, events: "Routing all traffic to primary", body: []string{gateLine}},
		{name: "finalising waits for the gate", gitops: commitStatus, st: status(api.PhaseFinalising, 0, 0), rev: "v2", now: at(tick10s),
			needGate: true},
		// Once the target is copied to the primary there is nothing left to
		// judge: the gate waits up to its timeout, then the promotion goes
		// on, without a failed check (it used to halt forever).
		{name: "promoting, closed past the timeout: goes on", gitops: commitStatus, st: status(api.PhasePromoting, 60, 1), rev: "v2", now: at(time.Minute), gate: closed,
			commit: true, phase: api.PhaseFinalising, failed: 1, events: "Routing all traffic to primary",
			body: []string{"sync gate kustomization/apps not open after 1m0s: the promotion goes on"}},
		{name: "finalising, closed past the timeout: completes", gitops: commitStatus, st: status(api.PhaseFinalising, 0, 0), rev: "v2", now: at(time.Minute), gate: closed,
			commit: true, phase: api.PhaseSucceeded, events: "Promotion completed! Scaling down podinfo.test",
			body: []string{"sync gate kustomization/apps not open after 1m0s: the promotion goes on"}},
		{name: "finalising, closed: waits without a commit", gitops: commitStatus, st: status(api.PhaseFinalising, 0, 0), rev: "v2", now: at(30 * time.Second), gate: closed,
			wait: "waiting for the sync gate kustomization/apps"},
		{name: "finalising, failed: completes", gitops: commitStatus, st: status(api.PhaseFinalising, 0, 0), rev: "v2", now: at(tick10s), gate: failed,
			commit: true, phase: api.PhaseSucceeded, events: "Promotion completed! Scaling down podinfo.test",
			body: []string{"sync gate kustomization/apps failed: " + gateFluxContext + ": health check failed: the promotion goes on"}},
		{name: "finalising with a new revision: completes about the analysed one", gitops: commitStatus, st: status(api.PhaseFinalising, 0, 0), rev: "v3", now: at(25 * time.Second), gate: open(15 * time.Second),
			commit: true, phase: api.PhaseSucceeded, events: "Promotion completed! Scaling down podinfo.test", body: []string{gateLine}},
		{name: "threshold reached: rollback without the gate", gitops: commitStatus, st: status(api.PhaseProgressing, 20, 2), rev: "v2", now: at(tick10s),
			commit: true, phase: api.PhaseFailed, failed: 2,
			events: "Rolling back podinfo.test failed checks threshold reached 2 | Canary failed! Scaling down podinfo.test"},
		{name: "new revision restarts without the gate", gitops: commitStatus, st: status(api.PhaseProgressing, 20, 1), rev: "v3", now: at(tick10s),
			commit: true, phase: api.PhaseProgressing, events: "New revision detected! Restarting analysis for podinfo.test"},
		{name: "new revision from idle without the gate", gitops: commitStatus, st: api.Status{Phase: api.PhaseSucceeded, LastAppliedSpec: "v1", LastPromotedSpec: "v1", LastTransitionTime: t0}, rev: "v2", now: at(time.Second),
			commit: true, phase: api.PhaseProgressing, events: "New revision detected! Scaling up podinfo.test"},
		{name: "request without the gate", gitops: commitStatus, st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: at(time.Second),
			request: &Request{Action: "pause", By: "Jane Doe <jane@example.com>"},
			commit:  true, phase: api.PhaseProgressing, weight: 20, events: "Paused podinfo.test as requested by Jane Doe <jane@example.com>"},
		{name: "type none: no gate", gitops: none, st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: at(tick10s),
			needChecks: true},
		{name: "no gitops block: no gate", st: status(api.PhaseProgressing, 0, 0), rev: "v2", now: at(tick10s),
			commit: true, phase: api.PhaseProgressing, weight: 20, events: "Starting canary analysis for podinfo.test | Advance podinfo.test canary weight 20"},
		{name: "prometheus closed past the timeout", gitops: promQL, st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: at(time.Minute), gate: closed,
			commit: true, phase: api.PhaseProgressing, weight: 20, failed: 1,
			events: "Halt podinfo.test advancement sync gate query not open after 1m0s"},
		{name: "prometheus open", gitops: promQL, st: status(api.PhaseProgressing, 0, 0), rev: "v2", now: at(25 * time.Second),
			gate:   &Gate{Open: true, Since: at(15 * time.Second), Detail: "query true"},
			commit: true, phase: api.PhaseProgressing, weight: 20,
			events: "Starting canary analysis for podinfo.test | Advance podinfo.test canary weight 20",
			body:   []string{"sync gate: query true, 15s after the last commit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := testCanary(t, base+tt.gitops)
			obs := Observation{Revision: tt.rev, Head: "c9", Now: tt.now, Gate: tt.gate, Request: tt.request}
			if tt.checks != nil {
				obs.Metrics = &Metrics{Checks: tt.checks}
			}
			d := Decide(c, tt.st, obs)
			needGate, needChecks := d.Need == NeedGate, d.Need == NeedMetrics
			if needGate != tt.needGate || needChecks != tt.needChecks || d.Commit != tt.commit {
				t.Fatalf("need=%s commit=%v, want gate %v checks %v commit %v (wait %q, events %v)",
					d.Need, d.Commit, tt.needGate, tt.needChecks, tt.commit, d.Wait, d.Events)
			}
			if tt.wait != "" && !strings.Contains(d.Wait, tt.wait) {
				t.Errorf("wait %q, want %q", d.Wait, tt.wait)
			}
			if !d.Commit {
				if d.Need == NeedNothing && d.Wait == "" {
					t.Errorf("no transition and no reason to wait")
				}
				if d.Status.FailedChecks != tt.st.FailedChecks || !d.Status.LastTransitionTime.Equal(tt.st.LastTransitionTime) {
					t.Errorf("status changed without a commit: %+v", d.Status)
				}
				return
			}
			var texts []string
			for _, e := range d.Events {
				texts = append(texts, e.Text)
			}
			st := d.Status
			if st.Phase != tt.phase || st.CanaryWeight != tt.weight || st.FailedChecks != tt.failed || strings.Join(texts, " | ") != tt.events {
				t.Errorf("got %s weight %d failed %d events %q\nwant %s weight %d failed %d events %q",
					st.Phase, st.CanaryWeight, st.FailedChecks, strings.Join(texts, " | "), tt.phase, tt.weight, tt.failed, tt.events)
			}
			if strings.Join(d.Body, "\n") != strings.Join(tt.body, "\n") {
				t.Errorf("body %q, want %q", d.Body, tt.body)
			}
			if !st.LastTransitionTime.Equal(tt.now) {
				t.Errorf("lastTransitionTime %s, want %s", st.LastTransitionTime, tt.now)
			}
		})
	}
}
