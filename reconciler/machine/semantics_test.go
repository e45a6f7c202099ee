package machine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Flagger's semantics, field by field: each test fails on the machine
// before it matched them.

func TestSuspendDoesNotInitialize(t *testing.T) {
	c := testCanary(t, "    stepWeight: 10\n")
	c.Spec.Suspend = true
	d := Decide(c, api.Status{}, Observation{Revision: "v1", Head: "c1", Now: t0})
	if d.Commit || d.Wait != "canary is suspended" {
		t.Fatalf("a suspended canary was initialized: %+v", d)
	}
}

func TestStepWeightWinsOverStepWeights(t *testing.T) {
	// Flagger's nextStepWeight returns stepWeight whenever it is set;
	// maxWeight is still the last of stepWeights.
	c := testCanary(t, "    stepWeight: 15\n    stepWeights: [5, 40]\n")
	d := newDriver(t, c)
	d.rev = "v2"
	for i := 0; i < 6; i++ {
		d.tick(pass)
	}
	wantLog(t, d.log[2:],
		"Starting canary analysis for podinfo.test",
		"Advance podinfo.test canary weight 30",
		"Advance podinfo.test canary weight 45",
		"Copying podinfo.test template spec to podinfo-primary.test",
		"Routing all traffic to primary",
	)
}

func TestNextStepWeight(t *testing.T) {
	tests := []struct {
		stepWeight  int
		stepWeights []int
		current     int
		want        int
	}{
		{stepWeight: 10, current: 0, want: 10},
		{stepWeight: 10, current: 95, want: 10}, // the caller caps at 100
		{stepWeights: []int{5, 25, 60}, current: 0, want: 5},
		{stepWeights: []int{5, 25, 60}, current: 5, want: 20},
		{stepWeights: []int{5, 25, 60}, current: 25, want: 35},
		{stepWeights: []int{5, 25, 60}, current: 60, want: 40}, // not a step but the last: the rest
		{stepWeights: []int{5, 25, 60}, current: 7, want: 93},  // not a step: the rest
		{stepWeights: []int{50, 100}, current: 100, want: 1},
		{stepWeight: 20, stepWeights: []int{5, 25}, current: 5, want: 20},
	}
	for _, tt := range tests {
		a := &api.Analysis{StepWeight: tt.stepWeight, StepWeights: tt.stepWeights}
		if got := nextStepWeight(a, tt.current); got != tt.want {
			t.Errorf("stepWeight %d stepWeights %v at %d: %d, want %d", tt.stepWeight, tt.stepWeights, tt.current, got, tt.want)
		}
	}
}

func TestSkipAnalysisBeforeThresholdAndRollbackHooks(t *testing.T) {
	// Flagger's shouldSkipAnalysis runs before the rollback hooks and the
	// failed-checks threshold: a canary switched to skipAnalysis mid-run is
	// promoted, not rolled back.
	c := testCanary(t, "    stepWeight: 10\n    threshold: 2\n    webhooks:\n      - name: rb\n        type: rollback\n        url: http://lt/\n")
	c.Spec.SkipAnalysis = true
	st := api.Status{Phase: api.PhaseProgressing, CanaryWeight: 30, FailedChecks: 2, LastAppliedSpec: "v2",
		LastPromotedSpec: "v1", LastPromotedCommit: "c1", LastTransitionTime: t0}
	d := Decide(c, st, Observation{Revision: "v2", Head: "c9", Now: t0.Add(time.Hour)})
	if !d.Commit || d.Status.Phase != api.PhaseSucceeded || !d.CopyPrimary || d.Need != NeedNothing {
		t.Fatalf("got %+v", d)
	}
	if got := d.Events[1].Text; got != "Promotion completed! Canary analysis was skipped for podinfo.test" {
		t.Errorf("event %q", got)
	}
}

func TestProvidersCheckedAtInitialization(t *testing.T) {
	c := testCanary(t, "    stepWeight: 10\n    metrics:\n      - name: request-success-rate\n        thresholdRange: {min: 99}\n")
	obs := Observation{Revision: "v1", Head: "c1", Now: t0}
	if d := Decide(c, api.Status{}, obs); d.Need != NeedProviders {
		t.Fatalf("need %s, want metric providers", d.Need)
	}
	for _, tt := range []struct{ err, event string }{
		{"", "all the metrics providers are available!"},
		{"prometheus: no Prometheus address", "Error checking metric providers: prometheus: no Prometheus address"},
	} {
		obs.Providers = &Providers{Err: tt.err}
		d := Decide(c, api.Status{}, obs)
		if !d.Commit || d.Events[0].Text != "Initialization done! podinfo.test" || d.Events[1].Text != tt.event {
			t.Errorf("providers %q: %+v", tt.err, d.Events)
		}
	}
	// Without metrics, or with skipAnalysis, nothing is asked.
	c = testCanary(t, "    stepWeight: 10\n")
	if d := Decide(c, api.Status{}, Observation{Revision: "v1", Now: t0}); !d.Commit || len(d.Events) != 1 {
		t.Errorf("no metrics: %+v", d)
	}
}

func TestCompletionIsAboutTheAnalysedRevision(t *testing.T) {
	// A release pushed while the promotion completes must not be absorbed:
	// the completion commit is about the analysed revision, and the new one
	// is a new revision on the next tick.
	c := testCanary(t, "    stepWeight: 50\n")
	st := api.Status{Phase: api.PhaseFinalising, LastAppliedSpec: "v2", LastPromotedSpec: "v1", LastPromotedCommit: "c1", LastTransitionTime: t0}
	d := Decide(c, st, Observation{Revision: "v3", Head: "c9", Now: t0.Add(time.Hour)})
	if !d.Commit || d.Revision != "v2" || d.Status.LastPromotedSpec != "v2" || d.Status.LastAppliedSpec != "v2" || d.Idle {
		t.Fatalf("completion %+v", d)
	}
	next := Decide(c, d.Status, Observation{Revision: "v3", Head: "c10", Now: t0.Add(2 * time.Hour)})
	if !next.Commit || next.Events[0].Text != "New revision detected! Scaling up podinfo.test" || next.Revision != "v3" {
		t.Fatalf("the release pushed during the promotion was not detected: %+v", next)
	}
}

func TestPauseRecordsWhoAndWhen(t *testing.T) {
	c := testCanary(t, "    stepWeight: 10\n")
	st := api.Status{Phase: api.PhaseProgressing, CanaryWeight: 10, LastAppliedSpec: "v2", LastPromotedSpec: "v1", LastTransitionTime: t0}
	d := Decide(c, st, Observation{Revision: "v2", Now: t0.Add(time.Second), Request: &Request{Action: "pause", By: "Jane <jane@example.com>"}})
	if !d.Status.Paused || d.Status.PausedBy != "Jane <jane@example.com>" || !d.Status.PausedAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("pause: %+v", d.Status)
	}
	d = Decide(c, d.Status, Observation{Revision: "v2", Now: t0.Add(2 * time.Second), Request: &Request{Action: "resume", By: "Joe <joe@example.com>"}})
	if d.Status.Paused || d.Status.PausedBy != "" || !d.Status.PausedAt.IsZero() {
		t.Fatalf("resume: %+v", d.Status)
	}
}

// TestEveryPhaseIsBounded drives the machine from every phase, with the
// revision fixed, through a long run of ticks under each hostile
// observation (a gate that never opens or always fails, failing metrics and
// hooks, closed confirm gates): the number of commits it makes is bounded,
// and every tick either commits, waits or asks for something it has not
// been given yet.
func TestEveryPhaseIsBounded(t *testing.T) {
	hooks := "    webhooks:\n"
	for _, typ := range api.HookTypes {
		hooks += fmt.Sprintf("      - name: %s\n        type: %s\n        url: http://lt/\n", typ, typ)
	}
	type spec struct {
		analysis string
		noRouter bool
	}
	const ab = "    iterations: 3\n    threshold: 3\n    match:\n      - headers:\n          x-canary:\n            exact: insider\n"
	specs := map[string]spec{
		"plain":             {analysis: "    stepWeight: 10\n    threshold: 3\n"},
		"hooks":             {analysis: "    stepWeight: 10\n    threshold: 3\n" + hooks},
		"sync gate":         {analysis: "    stepWeight: 10\n    threshold: 3\n  gitops:\n    syncGate:\n      type: commitStatus\n      context: kustomization/apps\n      timeout: 30s\n"},
		"promotion":         {analysis: "    stepWeight: 10\n    threshold: 3\n    stepWeightPromotion: 7\n"},
		"no revert":         {analysis: "    stepWeight: 10\n    threshold: 3\n" + hooks + "  gitops:\n    rollback:\n      revertTarget: false\n"},
		"canary mirror":     {analysis: "    stepWeight: 10\n    threshold: 3\n    mirror: true\n" + hooks},
		"session affinity":  {analysis: "    stepWeight: 10\n    threshold: 3\n    sessionAffinity:\n      cookieName: c\n      primaryCookieName: p\n"},
		"A/B":               {analysis: ab + hooks},
		"A/B promotion":     {analysis: ab + "    stepWeightPromotion: 30\n"},
		"blue/green":        {analysis: "    iterations: 3\n    threshold: 3\n" + hooks},
		"blue/green mirror": {analysis: "    iterations: 3\n    threshold: 3\n    mirror: true\n    stepWeightPromotion: 25\n"},
		"kubernetes":        {analysis: "    iterations: 3\n    threshold: 3\n" + hooks, noRouter: true},
	}
	gates := map[string]*Gate{"never open": {}, "failed": {Failed: true, Detail: "apply failed"}, "open": {Open: true, Since: t0}}
	metrics := map[string][]Check{"pass": pass, "fail": fail, "none": {}}
	hookAnswers := map[string]bool{"pass": true, "fail": false}
	phases := []api.Phase{"", api.PhaseInitialized, api.PhaseWaiting, api.PhaseProgressing, api.PhaseWaitingPromotion,
		api.PhasePromoting, api.PhaseFinalising, api.PhaseSucceeded, api.PhaseFailed}
	for specName, sp := range specs {
		for _, phase := range phases {
			for gateName, gate := range gates {
				for mName, checks := range metrics {
					for hName, passed := range hookAnswers {
						name := strings.Join([]string{specName, string(phase), gateName, mName, hName}, "/")
						c := testCanary(t, sp.analysis)
						st := api.Status{Phase: phase, CanaryWeight: 30, Iterations: 2, LastAppliedSpec: "v2", LastPromotedSpec: "v1",
							LastPromotedCommit: "c1", LastTransitionTime: t0, Mirrored: strings.Contains(specName, "mirror")}
						if phase == "" {
							st = api.Status{}
						}
						now := t0
						commits := 0
						rev := "v2" // a rollback's revert puts the target back at v1
						for i := 0; i < 500; i++ {
							now = now.Add(15 * time.Second)
							obs := Observation{Revision: rev, Head: "c9", Now: now, NoRouter: sp.noRouter}
							d := Decide(c, st, obs)
							for round := 0; d.Need != NeedNothing; round++ {
								if round > MaxRounds {
									t.Fatalf("%s: decides in circles", name)
								}
								switch d.Need {
								case NeedProviders:
									obs.Providers = &Providers{}
								case NeedGate:
									g := *gate
									obs.Gate = &g
								case NeedMetrics:
									obs.Metrics = &Metrics{Checks: checks}
								case NeedHooks:
									if obs.Hooks == nil {
										obs.Hooks = map[string]HookOutcome{}
									}
									if _, dup := obs.Hooks[d.Hook]; dup {
										t.Fatalf("%s: %s hooks asked twice", name, d.Hook)
									}
									obs.Hooks[d.Hook] = HookOutcome{Passed: passed, Halt: "Halt by " + d.Hook}
								default:
									t.Fatalf("%s: need %s", name, d.Need)
								}
								d = Decide(c, st, obs)
							}
							if d.Commit {
								commits++
								st = d.Status
								if d.RevertTarget {
									rev = "v1"
								}
							} else if d.Wait == "" {
								t.Fatalf("%s: neither a commit nor a reason to wait: %+v", name, d)
							}
						}
						// Init, a start, ten steps (or a mirror step, or
						// iterations and the switch), three failed checks, a
						// rollback or a promotion in fifteen steps: far less.
						if commits > 40 {
							t.Errorf("%s: %d commits in 500 ticks with nothing changing (ends in %s, failed %d)", name, commits, st.Phase, st.FailedChecks)
						}
					}
				}
			}
		}
	}
}
