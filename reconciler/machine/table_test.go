package machine

import (
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// TestTransitions lists every transition of the canary state machine: from
// a status and an observation to the next phase, weight, failed checks and
// events. No I/O.
func TestTransitions(t *testing.T) {
	t.Parallel()
	const analysis = "    stepWeight: 20\n    maxWeight: 50\n    threshold: 2\n"
	due := t0.Add(time.Hour)
	status := func(phase api.Phase, weight, failed int) api.Status {
		return api.Status{Phase: phase, CanaryWeight: weight, FailedChecks: failed,
			LastAppliedSpec: "v2", LastPromotedSpec: "v1", LastPromotedCommit: "c1", LastTransitionTime: t0}
	}
	idle := func(phase api.Phase) api.Status {
		st := status(phase, 0, 0)
		st.LastAppliedSpec = "v1"
		return st
	}
	iterated := func(weight, iterations int) api.Status {
		st := status(api.PhaseProgressing, weight, 0)
		st.Iterations = iterations
		return st
	}
	ab := func(c *api.Canary) {
		c.Spec.Analysis.Iterations = 3
		c.Spec.Analysis.Match = []any{map[string]any{"headers": map[string]any{"x-canary": map[string]any{"exact": "insider"}}}}
	}
	blueGreen := func(c *api.Canary) { c.Spec.Analysis.Iterations = 3 }
	tests := []struct {
		name   string
		edit   func(c *api.Canary)
		st     api.Status
		rev    string
		now    time.Time
		checks []Check

		commit       bool
		needChecks   bool
		phase        api.Phase
		weight       int
		failed       int
		events       string // event texts joined by " | "
		copyPrimary  bool
		revertTarget bool
		// deleted: the Canary document is gone; terminate: the commit
		// removes the generated folder.
		deleted, terminate bool
	}{
		{name: "initialize", st: api.Status{}, rev: "v1", now: t0,
			commit: true, phase: api.PhaseInitialized, events: "Initialization done! podinfo.test", copyPrimary: true},
		{name: "initialized, same revision", st: idle(api.PhaseInitialized), rev: "v1", now: due},
		{name: "succeeded, same revision", st: idle(api.PhaseSucceeded), rev: "v1", now: due},
		{name: "new revision scales up", st: idle(api.PhaseSucceeded), rev: "v2", now: t0,
			commit: true, phase: api.PhaseProgressing, events: "New revision detected! Scaling up podinfo.test"},
		{name: "new revision after failure", st: idle(api.PhaseFailed), rev: "v3", now: t0,
			commit: true, phase: api.PhaseProgressing, events: "New revision detected! Scaling up podinfo.test"},
		{name: "manual revert to the promoted spec is a no-op", st: status(api.PhaseFailed, 0, 2), rev: "v1", now: due},
		{name: "not due", st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: t0.Add(9 * time.Second)},
		{name: "start at weight 0: no metric check", st: status(api.PhaseProgressing, 0, 0), rev: "v2", now: due,
			commit: true, phase: api.PhaseProgressing, weight: 20, events: "Starting canary analysis for podinfo.test | Advance podinfo.test canary weight 20"},
		{name: "weight > 0 asks for checks", st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: due, needChecks: true},
		{name: "checks pass: advance", st: status(api.PhaseProgressing, 20, 0), rev: "v2", now: due, checks: pass,
			commit: true, phase: api.PhaseProgressing, weight: 40, events: "Advance podinfo.test canary weight 40"},
		{name: "overshoot maxWeight", st: status(api.PhaseProgressing, 40, 0), rev: "v2", now: due, checks: pass,
			commit: true, phase: api.PhaseProgressing, weight: 60, events: "Advance podinfo.test canary weight 60"},
		{name: "max weight reached: promote", st: status(api.PhaseProgressing, 60, 1), rev: "v2", now: due, checks: pass,
			commit: true, phase: api.PhasePromoting, weight: 60, failed: 1, events: "Copying podinfo.test template spec to podinfo-primary.test", copyPrimary: true},
		{name: "check fails: halt", st: status(api.PhaseProgressing, 40, 0), rev: "v2", now: due, checks: fail,
			commit: true, phase: api.PhaseProgressing, weight: 40, failed: 1, events: "Halt podinfo.test advancement success rate 50.00% < 99%"},
		{name: "threshold reached: halt, no rollback yet", st: status(api.PhaseProgressing, 40, 1), rev: "v2", now: due, checks: fail,
			commit: true, phase: api.PhaseProgressing, weight: 40, failed: 2, events: "Halt podinfo.test advancement success rate 50.00% < 99%"},
		{name: "rollback on the next tick", st: status(api.PhaseProgressing, 40, 2), rev: "v2", now: due,
			commit: true, phase: api.PhaseFailed, failed: 2, revertTarget: true,
			events: "Rolling back podinfo.test failed checks threshold reached 2 | Canary failed! Scaling down podinfo.test"},
		{name: "rollback without revert", st: status(api.PhaseProgressing, 40, 2), rev: "v2", now: due,
			edit: func(c *api.Canary) {
				f := false
				c.Spec.GitOps.Rollback = &api.Rollback{RevertTarget: &f}
			},
			commit: true, phase: api.PhaseFailed, failed: 2,
			events: "Rolling back podinfo.test failed checks threshold reached 2 | Canary failed! Scaling down podinfo.test"},
		{name: "new revision mid-analysis restarts", st: status(api.PhaseProgressing, 40, 1), rev: "v3", now: due,
			commit: true, phase: api.PhaseProgressing, events: "New revision detected! Restarting analysis for podinfo.test"},
		{name: "promoting routes to primary", st: status(api.PhasePromoting, 60, 0), rev: "v2", now: due,
			commit: true, phase: api.PhaseFinalising, events: "Routing all traffic to primary"},
		{name: "promoting by stepWeightPromotion", st: status(api.PhasePromoting, 60, 0), rev: "v2", now: due,
			edit:   func(c *api.Canary) { c.Spec.Analysis.StepWeightPromotion = 30 },
			commit: true, phase: api.PhasePromoting, weight: 30, events: "Advance podinfo.test primary weight 70"},
		{name: "finalising scales down", st: status(api.PhaseFinalising, 0, 0), rev: "v2", now: due,
			commit: true, phase: api.PhaseSucceeded, events: "Promotion completed! Scaling down podinfo.test"},
		{name: "skipAnalysis promotes at once", st: status(api.PhaseProgressing, 0, 0), rev: "v2", now: due,
			edit:   func(c *api.Canary) { c.Spec.SkipAnalysis = true },
			commit: true, phase: api.PhaseSucceeded, copyPrimary: true,
			events: "Copying podinfo.test template spec to podinfo-primary.test | Promotion completed! Canary analysis was skipped for podinfo.test"},
		{name: "A/B: the first iteration routes the matching requests to the canary", edit: ab, st: iterated(0, 0), rev: "v2", now: due,
			commit: true, phase: api.PhaseProgressing, weight: 100, events: "Starting canary analysis for podinfo.test | Advance podinfo.test canary iteration 1/3"},
		{name: "A/B: the next iteration is measured", edit: ab, st: iterated(100, 1), rev: "v2", now: due, needChecks: true},
		{name: "A/B: after the last iteration, promote", edit: ab, st: iterated(100, 3), rev: "v2", now: due, checks: pass,
			commit: true, phase: api.PhasePromoting, weight: 100, copyPrimary: true, events: "Copying podinfo.test template spec to podinfo-primary.test"},
		{name: "blue/green: an iteration routes nothing to the canary", edit: blueGreen, st: iterated(0, 1), rev: "v2", now: due, checks: pass,
			commit: true, phase: api.PhaseProgressing, events: "Advance podinfo.test canary iteration 2/3"},
		{name: "blue/green: after the last iteration, all traffic to the canary", edit: blueGreen, st: iterated(0, 3), rev: "v2", now: due, checks: pass,
			commit: true, phase: api.PhaseProgressing, weight: 100, events: "Routing all traffic to canary"},
		{name: "blue/green: then promote", edit: blueGreen, st: iterated(100, 4), rev: "v2", now: due, checks: pass,
			commit: true, phase: api.PhasePromoting, weight: 100, copyPrimary: true, events: "Copying podinfo.test template spec to podinfo-primary.test"},
		{name: "blue/green: a failed check on all traffic rolls back on the next tick", edit: blueGreen, st: status(api.PhaseProgressing, 100, 2), rev: "v2", now: due,
			commit: true, phase: api.PhaseFailed, failed: 2, revertTarget: true,
			events: "Rolling back podinfo.test failed checks threshold reached 2 | Canary failed! Scaling down podinfo.test"},
		{name: "suspended", st: status(api.PhaseProgressing, 20, 0), rev: "v3", now: due,
			edit: func(c *api.Canary) { c.Spec.Suspend = true }},
		{name: "deleted with revertOnDeletion at rest: terminated", st: idle(api.PhaseSucceeded), rev: "v1", now: t0, deleted: true,
			edit:   func(c *api.Canary) { c.Spec.RevertOnDeletion = true },
			commit: true, phase: api.PhaseTerminated, terminate: true, events: "Terminated canary podinfo.test"},
		{name: "deleted with revertOnDeletion mid-rollout: terminated at once", st: status(api.PhaseProgressing, 40, 1), rev: "v2", now: t0, deleted: true,
			edit:   func(c *api.Canary) { c.Spec.RevertOnDeletion = true },
			commit: true, phase: api.PhaseTerminated, failed: 1, terminate: true, events: "Terminated canary podinfo.test"},
		{name: "deleted while suspended: terminated all the same", st: status(api.PhaseProgressing, 40, 0), rev: "v2", now: t0, deleted: true,
			edit:   func(c *api.Canary) { c.Spec.RevertOnDeletion, c.Spec.Suspend = true, true },
			commit: true, phase: api.PhaseTerminated, terminate: true, events: "Terminated canary podinfo.test"},
		{name: "deleted without revertOnDeletion: nothing", st: status(api.PhaseProgressing, 40, 0), rev: "v2", now: due, deleted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := testCanary(t, analysis)
			if tt.edit != nil {
				tt.edit(c)
			}
			obs := Observation{Revision: tt.rev, Head: "c9", Now: tt.now, Deleted: tt.deleted}
			if tt.checks != nil {
				obs.Metrics = &Metrics{Checks: tt.checks}
			}
			d := Decide(c, tt.st, obs)
			if d.Commit != tt.commit || (d.Need == NeedMetrics) != tt.needChecks {
				t.Fatalf("commit=%v need=%v, want %v %v (wait %q)", d.Commit, d.Need, tt.commit, tt.needChecks, d.Wait)
			}
			if !d.Commit {
				if d.Need == NeedNothing && d.Wait == "" {
					t.Errorf("no transition and no reason to wait")
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
			if d.CopyPrimary != tt.copyPrimary || d.RevertTarget != tt.revertTarget || d.Terminate != tt.terminate {
				t.Errorf("copyPrimary=%v revertTarget=%v terminate=%v, want %v %v %v", d.CopyPrimary, d.RevertTarget, d.Terminate, tt.copyPrimary, tt.revertTarget, tt.terminate)
			}
			if !st.LastTransitionTime.Equal(tt.now) {
				t.Errorf("lastTransitionTime %s, want %s", st.LastTransitionTime, tt.now)
			}
		})
	}
}
