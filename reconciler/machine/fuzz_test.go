package machine

import (
	"fmt"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/api/apitest"
)

// FuzzDecide drives Decide from a fuzzed status through ticks whose every
// observation (the time passed, metric checks, sync gate, webhooks, pull
// request, manual requests) is drawn from the fuzzed bytes. Whatever it
// sees, the machine never panics, asks for each observation at most once a
// tick, commits or says why it waits, keeps the weight in 0..100, and makes
// a bounded number of commits while the target does not change (as
// TestEveryPhaseIsBounded, with observations that change from tick to
// tick): at most 40 beyond one per manual request.
func FuzzDecide(f *testing.F) {
	hooks := "    webhooks:\n"
	for _, typ := range api.HookTypes {
		hooks += fmt.Sprintf("      - name: %s\n        type: %s\n        url: http://lt/\n", typ, typ)
	}
	specs := []string{
		"    stepWeight: 10\n    threshold: 3\n",
		"    stepWeight: 10\n    threshold: 3\n" + hooks,
		"    stepWeight: 20\n    threshold: 2\n  gitops:\n    syncGate:\n      type: commitStatus\n      context: kustomization/apps\n      timeout: 30s\n",
		"    stepWeights: [5, 25, 60]\n    threshold: 2\n    stepWeightPromotion: 30\n",
		"    stepWeight: 10\n    threshold: 3\n" + hooks + "  gitops:\n    rollback:\n      revertTarget: false\n",
		"    stepWeight: 50\n    threshold: 1\n  gitops:\n    approval:\n      rollout: pullRequest\n      promotion: pullRequest\n",
		"    stepWeight: 10\n    threshold: 2\n  skipAnalysis: true\n",
	}
	canaries := make([]*api.Canary, len(specs))
	for i, s := range specs {
		canaries[i] = apitest.Canary(f, "    interval: 10s\n"+s)
	}
	phases := []api.Phase{"", api.PhaseInitialized, api.PhaseWaiting, api.PhaseProgressing, api.PhaseWaitingPromotion,
		api.PhasePromoting, api.PhaseFinalising, api.PhaseSucceeded, api.PhaseFailed}
	f.Add(uint8(0), uint8(0), uint8(0), uint8(0), []byte{})
	f.Add(uint8(1), uint8(3), uint8(30), uint8(2), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add(uint8(2), uint8(6), uint8(100), uint8(7), []byte("gate never opens, metrics fail, hooks pass"))
	f.Add(uint8(5), uint8(4), uint8(50), uint8(0), []byte{0xff, 0x00, 0x80, 0x7f, 0x41})
	f.Fuzz(func(t *testing.T, spec, phase, weight, failed uint8, ticks []byte) {
		c := canaries[int(spec)%len(canaries)]
		st := api.Status{}
		if p := phases[int(phase)%len(phases)]; p != "" {
			st = api.Status{Phase: p, CanaryWeight: int(weight) % 101, FailedChecks: int(failed) % 8,
				LastAppliedSpec: "v2", LastPromotedSpec: "v1", LastPromotedCommit: "c1", LastTransitionTime: t0}
		}
		if len(ticks) > 300 {
			ticks = ticks[:300]
		}
		now, rev := t0, "v2"
		commits, requests := 0, 0
		for i, b := range ticks {
			now = now.Add(time.Duration(b%32) * time.Second)
			obs := Observation{Revision: rev, Head: "c9", Now: now}
			if b%17 == 0 {
				obs.Request = &Request{Action: api.RequestActions[int(b/17)%len(api.RequestActions)], By: "Jane <j@example.com>"}
				requests++
			}
			d := Decide(c, st, obs)
			for round := 0; d.Need != NeedNothing; round++ {
				if round > MaxRounds {
					t.Fatalf("tick %d: decides in circles (%s)", i, d.Need)
				}
				answer(t, &obs, d, b, i)
				d = Decide(c, st, obs)
			}
			if !d.Commit {
				if d.Wait == "" {
					t.Fatalf("tick %d: neither a commit nor a reason to wait: %+v", i, d)
				}
				continue
			}
			if len(d.Events) == 0 {
				t.Fatalf("tick %d: a commit without an event: %+v", i, d)
			}
			if w := d.Status.CanaryWeight; w < 0 || w > 100 {
				t.Fatalf("tick %d: weight %d after %q", i, w, d.Events[0].Text)
			}
			commits++
			st = d.Status
			if d.RevertTarget {
				rev = "v1"
			}
		}
		if commits > 40+requests {
			t.Fatalf("%d commits in %d ticks with %d requests and the target unchanged (ends in %s)", commits, len(ticks), requests, st.Phase)
		}
	})
}

// answer makes the observation d needs, drawn from b; each only once.
func answer(t *testing.T, obs *Observation, d Decision, b byte, tick int) {
	t.Helper()
	twice := func() { t.Fatalf("tick %d: %s asked twice", tick, d.Need) }
	switch d.Need {
	case NeedProviders:
		if obs.Providers != nil {
			twice()
		}
		obs.Providers = &Providers{Err: map[bool]string{true: "prometheus not available"}[b&1 == 1]}
	case NeedGate:
		if obs.Gate != nil {
			twice()
		}
		obs.Gate = &Gate{Open: b&2 != 0, Failed: b&6 == 4, Since: obs.Now, Detail: "kustomization/apps"}
	case NeedMetrics:
		if obs.Metrics != nil {
			twice()
		}
		obs.Metrics = &Metrics{Checks: [][]Check{pass, fail, {}, append(pass, fail...)}[(b>>3)%4]}
	case NeedHooks:
		if _, ok := obs.Hooks[d.Hook]; ok {
			twice()
		}
		if obs.Hooks == nil {
			obs.Hooks = map[string]HookOutcome{}
		}
		obs.Hooks[d.Hook] = HookOutcome{Passed: b&32 == 0, Halt: "Halt by " + d.Hook}
	case NeedPR:
		if obs.PR != nil {
			twice()
		}
		n := int(b>>6) % 3
		obs.PR = &PRState{Number: n, Open: n == 1, Merged: n == 2, Approved: b&1 == 1, HeadSHA: "c9"}
	default:
		t.Fatalf("tick %d: need %s", tick, d.Need)
	}
}
