package machine

import (
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// hookCanary is a canary with one webhook of each type given, named after
// its type.
func hookCanary(t *testing.T, types ...string) *api.Canary {
	t.Helper()
	analysis := "    stepWeight: 20\n    maxWeight: 50\n    threshold: 2\n"
	if len(types) > 0 {
		analysis += "    webhooks:\n"
		for _, typ := range types {
			analysis += "      - name: " + typ + "\n        type: " + typ + "\n        url: http://loadtester/gate/check\n"
		}
	}
	return testCanary(t, analysis)
}

func hookPassed(typ string) HookOutcome {
	text := map[string]string{
		api.HookConfirmRollout:         "Confirm-rollout check confirm-rollout passed",
		api.HookPreRollout:             "Pre-rollout check pre-rollout passed",
		api.HookConfirmTrafficIncrease: "Confirm-traffic-increase check confirm-traffic-increase passed",
		api.HookConfirmPromotion:       "Confirm-promotion check confirm-promotion passed",
	}[typ]
	out := HookOutcome{Passed: true}
	if text != "" {
		out.Texts = []string{text}
	}
	return out
}

func hookFailed(typ string) HookOutcome {
	halt := map[string]string{
		api.HookConfirmRollout:         "Halt podinfo.test advancement waiting for approval confirm-rollout",
		api.HookPreRollout:             "Halt podinfo.test advancement pre-rollout check pre-rollout failed Forbidden",
		api.HookRollout:                "Halt podinfo.test advancement external check rollout failed Forbidden",
		api.HookConfirmTrafficIncrease: "Halt podinfo.test advancement waiting for traffic increase approval confirm-traffic-increase",
		api.HookConfirmPromotion:       "Halt podinfo.test advancement waiting for promotion approval confirm-promotion",
		api.HookRollback:               "Rolling back podinfo.test manual webhook invoked",
	}[typ]
	return HookOutcome{Halt: halt}
}

// TestHookTransitions lists the transitions webhooks drive, the way a pass
// decides: each hook type asked for is answered from the table, in the
// order the machine asks. No I/O.
func TestHookTransitions(t *testing.T) {
	t.Parallel()
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
	const (
		cr  = api.HookConfirmRollout
		pre = api.HookPreRollout
		ro  = api.HookRollout
		cti = api.HookConfirmTrafficIncrease
		cp  = api.HookConfirmPromotion
		rb  = api.HookRollback
	)
	failedOnce := status(api.PhaseProgressing, 20, 2)
	failedOnce.LastFailure = "Halt podinfo.test advancement success rate 50.00% < 99%"
	tests := []struct {
		name    string
		hooks   []string
		st      api.Status
		rev     string
		checks  []Check
		answers map[string]HookOutcome

		asked       string // hook types asked for, in order
		commit      bool
		phase       api.Phase
		weight      int
		failed      int
		events      string // event texts joined by " | "
		wait        string
		lastFailure string
		revert      bool
	}{
		{name: "no hooks: none asked", st: idle(api.PhaseSucceeded), rev: "v2",
			commit: true, phase: api.PhaseProgressing, events: "New revision detected! Scaling up podinfo.test"},
		{name: "confirm-rollout closed: Waiting, one commit", hooks: []string{cr, rb}, st: idle(api.PhaseSucceeded), rev: "v2",
			answers: map[string]HookOutcome{cr: hookFailed(cr)}, asked: cr,
			commit: true, phase: api.PhaseWaiting, events: "Halt podinfo.test advancement waiting for approval confirm-rollout"},
		{name: "confirm-rollout open: new revision", hooks: []string{cr}, st: idle(api.PhaseSucceeded), rev: "v2",
			answers: map[string]HookOutcome{cr: hookPassed(cr)}, asked: cr,
			commit: true, phase: api.PhaseProgressing, events: "New revision detected! Scaling up podinfo.test | Confirm-rollout check confirm-rollout passed"},
		{name: "Waiting, still closed: no commit", hooks: []string{cr, rb}, st: idle(api.PhaseWaiting), rev: "v2",
			answers: map[string]HookOutcome{cr: hookFailed(cr), rb: hookPassed(rb)}, asked: rb + "," + cr,
			wait: "Halt podinfo.test advancement waiting for approval confirm-rollout"},
		{name: "Waiting, confirmed: the rollout starts", hooks: []string{cr, rb}, st: idle(api.PhaseWaiting), rev: "v2",
			answers: map[string]HookOutcome{cr: hookPassed(cr), rb: hookPassed(rb)}, asked: rb + "," + cr,
			commit: true, phase: api.PhaseProgressing, events: "New revision detected! Scaling up podinfo.test | Confirm-rollout check confirm-rollout passed"},
		{name: "Waiting, rollback hook: rolled back", hooks: []string{cr, rb}, st: idle(api.PhaseWaiting), rev: "v2",
			answers: map[string]HookOutcome{rb: hookFailed(rb)}, asked: rb,
			commit: true, phase: api.PhaseFailed, revert: true, lastFailure: "Rolling back podinfo.test manual webhook invoked",
			events: "Rolling back podinfo.test manual webhook invoked | Canary failed! Scaling down podinfo.test"},
		{name: "Waiting, revision reverted: cancelled", hooks: []string{cr}, st: idle(api.PhaseWaiting), rev: "v1",
			commit: true, phase: api.PhaseSucceeded, events: "Rollout of podinfo.test cancelled: the waiting revision was reverted"},
		{name: "Waiting, not due", hooks: []string{cr}, st: func() api.Status { s := idle(api.PhaseWaiting); s.LastTransitionTime = due; return s }(), rev: "v2",
			wait: "next step due in 10s"},
		{name: "rollback hook asked first, then rollout hooks, then metrics", hooks: []string{ro, rb}, st: status(api.PhaseProgressing, 20, 0), rev: "v2",
			checks: pass, answers: map[string]HookOutcome{rb: hookPassed(rb), ro: hookPassed(ro)}, asked: rb + "," + ro,
			commit: true, phase: api.PhaseProgressing, weight: 40, events: "Advance podinfo.test canary weight 40"},
		{name: "rollback hook rolls back", hooks: []string{rb}, st: status(api.PhaseProgressing, 20, 0), rev: "v2",
			answers: map[string]HookOutcome{rb: hookFailed(rb)}, asked: rb,
			commit: true, phase: api.PhaseFailed, revert: true, lastFailure: "Rolling back podinfo.test manual webhook invoked",
			events: "Rolling back podinfo.test manual webhook invoked | Canary failed! Scaling down podinfo.test"},
		{name: "a new revision restarts before the rollback hooks", hooks: []string{rb}, st: status(api.PhaseProgressing, 20, 0), rev: "v3",
			commit: true, phase: api.PhaseProgressing, events: "New revision detected! Restarting analysis for podinfo.test"},
		{name: "pre-rollout fails: failed check at weight 0", hooks: []string{pre, cti}, st: status(api.PhaseProgressing, 0, 0), rev: "v2",
			answers: map[string]HookOutcome{pre: hookFailed(pre)}, asked: pre,
			commit: true, phase: api.PhaseProgressing, failed: 1,
			events:      "Halt podinfo.test advancement pre-rollout check pre-rollout failed Forbidden",
			lastFailure: "Halt podinfo.test advancement pre-rollout check pre-rollout failed Forbidden"},
		{name: "pre-rollout passes: its text follows the start", hooks: []string{pre}, st: status(api.PhaseProgressing, 0, 0), rev: "v2",
			answers: map[string]HookOutcome{pre: hookPassed(pre)}, asked: pre,
			commit: true, phase: api.PhaseProgressing, weight: 20,
			events: "Starting canary analysis for podinfo.test | Pre-rollout check pre-rollout passed | Advance podinfo.test canary weight 20"},
		{name: "first step waits for confirm-traffic-increase", hooks: []string{pre, cti}, st: status(api.PhaseProgressing, 0, 0), rev: "v2",
			answers: map[string]HookOutcome{pre: hookPassed(pre), cti: hookFailed(cti)}, asked: pre + "," + cti,
			wait: "Halt podinfo.test advancement waiting for traffic increase approval confirm-traffic-increase"},
		{name: "rollout hook fails: failed check, metrics not measured", hooks: []string{ro}, st: status(api.PhaseProgressing, 20, 0), rev: "v2",
			answers: map[string]HookOutcome{ro: hookFailed(ro)}, asked: ro,
			commit: true, phase: api.PhaseProgressing, weight: 20, failed: 1,
			events:      "Halt podinfo.test advancement external check rollout failed Forbidden",
			lastFailure: "Halt podinfo.test advancement external check rollout failed Forbidden"},
		{name: "failing metric is the last failure", st: status(api.PhaseProgressing, 20, 0), rev: "v2", checks: fail,
			commit: true, phase: api.PhaseProgressing, weight: 20, failed: 1,
			events:      "Halt podinfo.test advancement success rate 50.00% < 99%",
			lastFailure: "Halt podinfo.test advancement success rate 50.00% < 99%"},
		{name: "threshold rollback keeps the last failure", st: failedOnce, rev: "v2",
			commit: true, phase: api.PhaseFailed, weight: 0, failed: 2, revert: true,
			events:      "Rolling back podinfo.test failed checks threshold reached 2 | Canary failed! Scaling down podinfo.test",
			lastFailure: "Halt podinfo.test advancement success rate 50.00% < 99%"},
		{name: "confirm-traffic-increase closed: wait, no failed check", hooks: []string{cti}, st: status(api.PhaseProgressing, 20, 0), rev: "v2",
			checks: pass, answers: map[string]HookOutcome{cti: hookFailed(cti)}, asked: cti,
			wait: "Halt podinfo.test advancement waiting for traffic increase approval confirm-traffic-increase"},
		{name: "confirm-traffic-increase open: advance", hooks: []string{cti}, st: status(api.PhaseProgressing, 20, 0), rev: "v2",
			checks: pass, answers: map[string]HookOutcome{cti: hookPassed(cti)}, asked: cti,
			commit: true, phase: api.PhaseProgressing, weight: 40,
			events: "Advance podinfo.test canary weight 40 | Confirm-traffic-increase check confirm-traffic-increase passed"},
		{name: "failing checks skip the confirm hooks", hooks: []string{cti}, st: status(api.PhaseProgressing, 20, 0), rev: "v2", checks: fail,
			commit: true, phase: api.PhaseProgressing, weight: 20, failed: 1,
			events:      "Halt podinfo.test advancement success rate 50.00% < 99%",
			lastFailure: "Halt podinfo.test advancement success rate 50.00% < 99%"},
		{name: "confirm-promotion closed: WaitingPromotion, one commit", hooks: []string{cti, cp}, st: status(api.PhaseProgressing, 60, 0), rev: "v2",
			checks: pass, answers: map[string]HookOutcome{cti: hookPassed(cti), cp: hookFailed(cp)}, asked: cti + "," + cp,
			commit: true, phase: api.PhaseWaitingPromotion, weight: 60,
			events: "Halt podinfo.test advancement waiting for promotion approval confirm-promotion | Confirm-traffic-increase check confirm-traffic-increase passed"},
		// Flagger runs the confirm-traffic-increase hooks on every tick of
		// phase Progressing, the one that would promote too.
		{name: "confirm-traffic-increase closed holds the promotion", hooks: []string{cti, cp}, st: status(api.PhaseProgressing, 60, 0), rev: "v2",
			checks: pass, answers: map[string]HookOutcome{cti: hookFailed(cti)}, asked: cti,
			wait: "Halt podinfo.test advancement waiting for traffic increase approval confirm-traffic-increase"},
		{name: "WaitingPromotion does not ask confirm-traffic-increase", hooks: []string{cti, cp}, st: status(api.PhaseWaitingPromotion, 60, 0), rev: "v2",
			checks: pass, answers: map[string]HookOutcome{cp: hookPassed(cp)}, asked: cp,
			commit: true, phase: api.PhasePromoting, weight: 60,
			events: "Copying podinfo.test template spec to podinfo-primary.test | Confirm-promotion check confirm-promotion passed"},
		{name: "WaitingPromotion, still closed: measured, no commit", hooks: []string{cp}, st: status(api.PhaseWaitingPromotion, 60, 0), rev: "v2",
			checks: pass, answers: map[string]HookOutcome{cp: hookFailed(cp)}, asked: cp,
			wait: "Halt podinfo.test advancement waiting for promotion approval confirm-promotion"},
		{name: "WaitingPromotion, failing metric halts", hooks: []string{cp}, st: status(api.PhaseWaitingPromotion, 60, 0), rev: "v2", checks: fail,
			commit: true, phase: api.PhaseWaitingPromotion, weight: 60, failed: 1,
			events:      "Halt podinfo.test advancement success rate 50.00% < 99%",
			lastFailure: "Halt podinfo.test advancement success rate 50.00% < 99%"},
		{name: "WaitingPromotion, threshold reached: rollback", hooks: []string{cp}, st: status(api.PhaseWaitingPromotion, 60, 2), rev: "v2",
			commit: true, phase: api.PhaseFailed, failed: 2, revert: true,
			events: "Rolling back podinfo.test failed checks threshold reached 2 | Canary failed! Scaling down podinfo.test"},
		{name: "WaitingPromotion, confirmed: promote", hooks: []string{cp, rb}, st: status(api.PhaseWaitingPromotion, 60, 0), rev: "v2",
			checks: pass, answers: map[string]HookOutcome{cp: hookPassed(cp), rb: hookPassed(rb)}, asked: rb + "," + cp,
			commit: true, phase: api.PhasePromoting, weight: 60,
			events: "Copying podinfo.test template spec to podinfo-primary.test | Confirm-promotion check confirm-promotion passed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := hookCanary(t, tt.hooks...)
			obs := Observation{Revision: tt.rev, Head: "head", Now: due}
			var asked []string
			d := Decide(c, tt.st, obs)
			for i := 0; d.Need != NeedNothing; i++ {
				if i > MaxRounds {
					t.Fatalf("decides in circles: %+v", d)
				}
				switch d.Need {
				case NeedHooks:
					typ := d.Hook
					if _, ok := obs.Hooks[typ]; ok {
						t.Fatalf("%s hooks asked for twice", typ)
					}
					out, ok := tt.answers[typ]
					if !ok {
						t.Fatalf("%s hooks asked for, none in the table (asked so far %v)", typ, asked)
					}
					asked = append(asked, typ)
					if obs.Hooks == nil {
						obs.Hooks = map[string]HookOutcome{}
					}
					obs.Hooks[typ] = out
				case NeedMetrics:
					if tt.checks == nil || obs.Metrics != nil {
						t.Fatalf("metrics needed (given: %v)", obs.Metrics != nil)
					}
					obs.Metrics = &Metrics{Checks: tt.checks}
				default:
					t.Fatalf("unexpected need %s", d.Need)
				}
				d = Decide(c, tt.st, obs)
			}
			if got := strings.Join(asked, ","); got != tt.asked {
				t.Errorf("hooks asked %q, want %q", got, tt.asked)
			}
			if d.Commit != tt.commit {
				t.Fatalf("commit = %v, want %v (wait %q, events %v)", d.Commit, tt.commit, d.Wait, d.Events)
			}
			if !d.Commit {
				if d.Wait != tt.wait {
					t.Errorf("wait %q, want %q", d.Wait, tt.wait)
				}
				return
			}
			var evs []string
			for _, e := range d.Events {
				evs = append(evs, e.Text)
			}
			if got := strings.Join(evs, " | "); got != tt.events {
				t.Errorf("events\n %q\nwant\n %q", got, tt.events)
			}
			st := d.Status
			if st.Phase != tt.phase || st.CanaryWeight != tt.weight || st.FailedChecks != tt.failed {
				t.Errorf("phase %s weight %d failed %d, want %s %d %d", st.Phase, st.CanaryWeight, st.FailedChecks, tt.phase, tt.weight, tt.failed)
			}
			if st.LastFailure != tt.lastFailure {
				t.Errorf("lastFailure %q, want %q", st.LastFailure, tt.lastFailure)
			}
			if d.RevertTarget != tt.revert {
				t.Errorf("revertTarget %v, want %v", d.RevertTarget, tt.revert)
			}
		})
	}
}
