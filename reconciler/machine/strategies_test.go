package machine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// The strategies of Flagger's scheduler, tick by tick: each commit's
// events, and the status the router is generated from.

const abMatch = "    match:\n      - headers:\n          x-canary:\n            regex: \".*insider.*\"\n"

// step is one commit of a run: its events and the routing it leaves.
type step struct {
	events     string // joined by " | "
	weight     int
	iterations int
	mirrored   bool
	phase      api.Phase
}

func (s step) String() string {
	return fmt.Sprintf("%s [%s weight %d iteration %d mirrored %v]", s.events, s.phase, s.weight, s.iterations, s.mirrored)
}

// run drives a healthy rollout of revision v2 to its end and returns its
// commits after "New revision detected!".
func (d *driver) run(checks []Check) []step {
	d.t.Helper()
	d.rev = "v2"
	var out []step
	for i := 0; i < 30 && (len(out) == 0 || d.st.Phase.Active()); i++ {
		dec := d.tick(checks)
		if !dec.Commit {
			d.t.Fatalf("tick %d: no commit (wait %q, need %s) in %+v", i, dec.Wait, dec.Need, d.st)
		}
		var texts []string
		for _, e := range dec.Events {
			texts = append(texts, e.Text)
		}
		st := dec.Status
		out = append(out, step{strings.Join(texts, " | "), st.CanaryWeight, st.Iterations, st.Mirrored, st.Phase})
	}
	return out[1:]
}

func wantSteps(t *testing.T, got []step, want ...step) {
	t.Helper()
	var g, w []string
	for _, s := range got {
		g = append(g, s.String())
	}
	for _, s := range want {
		w = append(w, s.String())
	}
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("commits:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

const (
	progressing = api.PhaseProgressing
	promoting   = api.PhasePromoting
	finalising  = api.PhaseFinalising
	succeeded   = api.PhaseSucceeded
)

func TestABTesting(t *testing.T) {
	d := newDriver(t, testCanary(t, "    iterations: 3\n    threshold: 2\n"+abMatch))
	wantSteps(t, d.run(pass),
		step{"Starting canary analysis for podinfo.test | Advance podinfo.test canary iteration 1/3", 100, 1, false, progressing},
		step{"Advance podinfo.test canary iteration 2/3", 100, 2, false, progressing},
		step{"Advance podinfo.test canary iteration 3/3", 100, 3, false, progressing},
		step{"Copying podinfo.test template spec to podinfo-primary.test", 100, 3, false, promoting},
		step{"Routing all traffic to primary", 0, 3, false, finalising},
		step{"Promotion completed! Scaling down podinfo.test", 0, 0, false, succeeded},
	)
}

func TestABTestingRollsBack(t *testing.T) {
	d := newDriver(t, testCanary(t, "    iterations: 10\n    threshold: 2\n"+abMatch))
	d.rev = "v2"
	d.tick(nil)
	d.tick(nil)
	d.tick(fail)
	d.tick(fail)
	dec := d.tick(nil)
	if st := dec.Status; st.Phase != api.PhaseFailed || st.CanaryWeight != 0 || st.Iterations != 0 || !dec.RevertTarget {
		t.Fatalf("rollback: %+v", dec)
	}
	wantLog(t, d.log[2:],
		"Starting canary analysis for podinfo.test",
		"Halt podinfo.test advancement success rate 50.00% < 99%",
		"Halt podinfo.test advancement success rate 50.00% < 99%",
		"Rolling back podinfo.test failed checks threshold reached 2")
}

func TestBlueGreen(t *testing.T) {
	d := newDriver(t, testCanary(t, "    iterations: 3\n"))
	wantSteps(t, d.run(pass),
		step{"Starting canary analysis for podinfo.test | Advance podinfo.test canary iteration 1/3", 0, 1, false, progressing},
		step{"Advance podinfo.test canary iteration 2/3", 0, 2, false, progressing},
		step{"Advance podinfo.test canary iteration 3/3", 0, 3, false, progressing},
		// Flagger switches the traffic before it updates the primary, so
		// that the primary's rollout drops no request in flight.
		step{"Routing all traffic to canary", 100, 4, false, progressing},
		step{"Copying podinfo.test template spec to podinfo-primary.test", 100, 4, false, promoting},
		step{"Routing all traffic to primary", 0, 4, false, finalising},
		step{"Promotion completed! Scaling down podinfo.test", 0, 0, false, succeeded},
	)
}

func TestBlueGreenMirroring(t *testing.T) {
	d := newDriver(t, testCanary(t, "    iterations: 2\n    mirror: true\n    mirrorWeight: 50\n"))
	wantSteps(t, d.run(pass),
		step{"Starting canary analysis for podinfo.test | Start traffic mirroring | Advance podinfo.test canary iteration 1/2", 0, 1, true, progressing},
		step{"Advance podinfo.test canary iteration 2/2", 0, 2, true, progressing},
		step{"Stop traffic mirroring and route all traffic to canary", 100, 3, false, progressing},
		step{"Copying podinfo.test template spec to podinfo-primary.test", 100, 3, false, promoting},
		step{"Routing all traffic to primary", 0, 3, false, finalising},
		step{"Promotion completed! Scaling down podinfo.test", 0, 0, false, succeeded},
	)
}

// TestBlueGreenWithoutRouter: provider kubernetes has no traffic to
// switch. Flagger spends a tick without an event where it would route to
// the canary, and another going from Promoting to Finalising; gitcanary
// makes no commit without an event, so it copies the target after the
// last iteration and completes the promotion on the next step.
func TestBlueGreenWithoutRouter(t *testing.T) {
	d := newDriver(t, testCanary(t, "    iterations: 2\n"))
	d.noRouter = true
	wantSteps(t, d.run(pass),
		step{"Starting canary analysis for podinfo.test | Advance podinfo.test canary iteration 1/2", 0, 1, false, progressing},
		step{"Advance podinfo.test canary iteration 2/2", 0, 2, false, progressing},
		step{"Copying podinfo.test template spec to podinfo-primary.test", 0, 2, false, promoting},
		step{"Promotion completed! Scaling down podinfo.test", 0, 0, false, succeeded},
	)
}

// TestCanaryMirrorStep: runCanary's mirror step, measured on the mirrored
// requests before the first weight step.
func TestCanaryMirrorStep(t *testing.T) {
	d := newDriver(t, testCanary(t, "    stepWeight: 25\n    maxWeight: 50\n    mirror: true\n"))
	d.rev = "v2"
	d.tick(nil)
	d.tick(nil) // starts: the mirror step, no metrics
	if !d.st.Mirrored || d.st.CanaryWeight != 0 {
		t.Fatalf("first step does not mirror: %+v", d.st)
	}
	if dec := Decide(d.c, d.st, Observation{Revision: "v2", Now: d.now.Add(d.c.Spec.Analysis.Interval.Duration)}); dec.Need != NeedMetrics {
		t.Fatalf("the mirrored step must be measured, got %+v", dec)
	}
	for d.st.Phase.Active() {
		d.tick(pass)
	}
	wantLog(t, d.log[2:],
		"Starting canary analysis for podinfo.test",
		"Advance podinfo.test canary weight 25",
		"Advance podinfo.test canary weight 50",
		"Copying podinfo.test template spec to podinfo-primary.test",
		"Routing all traffic to primary",
		"Promotion completed! Scaling down podinfo.test")
	d2 := newDriver(t, testCanary(t, "    stepWeight: 25\n    maxWeight: 50\n    mirror: true\n"))
	got := d2.run(pass)
	if got[0].events != "Starting canary analysis for podinfo.test | Advance podinfo.test canary weight 0 | Running mirror step 100/0/true" ||
		got[1].events != "Advance podinfo.test canary weight 25 | Running mirror step 75/25/false" || got[1].mirrored {
		t.Errorf("mirror steps: %v", got[:2])
	}
}

// TestStepWeightPromotionWithEveryStrategy: the traffic goes back to the
// primary by stepWeightPromotion from where the strategy left it: the
// matching requests of an A/B test, all of it after blue/green.
func TestStepWeightPromotionWithEveryStrategy(t *testing.T) {
	for name, analysis := range map[string]string{
		"A/B":        "    iterations: 1\n" + abMatch,
		"blue/green": "    iterations: 1\n",
	} {
		t.Run(name, func(t *testing.T) {
			d := newDriver(t, testCanary(t, analysis+"    stepWeightPromotion: 40\n"))
			var got []string
			for _, s := range d.run(pass) {
				if strings.Contains(s.events, "primary weight") {
					got = append(got, fmt.Sprintf("%s (canary %d)", s.events, s.weight))
				}
			}
			want := "Advance podinfo.test primary weight 40 (canary 60), Advance podinfo.test primary weight 80 (canary 20), Advance podinfo.test primary weight 100 (canary 0)"
			if strings.Join(got, ", ") != want {
				t.Errorf("promotion steps: %s", strings.Join(got, ", "))
			}
		})
	}
}

// TestBlueGreenPromotionApproval: the promotion pull request of a
// blue/green release proposes the switch of all traffic to the canary;
// the copy follows once it is merged.
func TestBlueGreenPromotionApproval(t *testing.T) {
	c := testCanary(t, "    iterations: 1\n  gitops:\n    approval:\n      promotion: pullRequest\n")
	d := newDriver(t, c)
	d.rev = "v2"
	d.tick(nil)
	d.tick(nil)
	dec := d.tick(pass)
	if dec.Proposal == nil || dec.Status.Phase != api.PhaseWaitingPromotion {
		t.Fatalf("want the promotion gate opened, got %+v", dec)
	}
	next := dec.Proposal.Next
	if next.Events[0].Text != "Routing all traffic to canary" || next.Status.CanaryWeight != 100 || next.Status.Iterations != 2 || next.CopyPrimary {
		t.Errorf("proposed: %+v", next)
	}
	// Merged: the next tick copies the target without asking again.
	d.st = next.Status
	if dec := d.tick(pass); dec.Events[0].Text != "Copying podinfo.test template spec to podinfo-primary.test" {
		t.Errorf("after the merge: %+v", dec)
	}
}

// TestSessionAffinityCookies: the cookie of a run is made when the canary
// first gets traffic and kept to the end; the primary's changes at each
// weight step; after the run the cookie is the previous one, expired.
func TestSessionAffinityCookies(t *testing.T) {
	c := testCanary(t, "    stepWeight: 25\n    maxWeight: 50\n    threshold: 3\n    sessionAffinity:\n      cookieName: canary-cookie\n      primaryCookieName: primary-cookie\n")
	d := newDriver(t, c)
	d.rev = "v2"
	d.tick(nil)
	if d.st.SessionAffinityCookie != "" {
		t.Fatalf("cookie before any traffic: %+v", d.st)
	}
	d.tick(nil)
	first, primary := d.st.SessionAffinityCookie, d.st.PrimarySessionAffinityCookie
	if !strings.HasPrefix(first, "canary-cookie=") || len(first) != len("canary-cookie=")+10 || !api.ValidCookie(first) ||
		!strings.HasPrefix(primary, "primary-cookie=") || !api.ValidCookie(primary) {
		t.Fatalf("cookies at weight 25: %q %q", first, primary)
	}
	d.tick(fail) // a halt changes no cookie
	if d.st.SessionAffinityCookie != first || d.st.PrimarySessionAffinityCookie != primary {
		t.Errorf("a halt changed the cookies: %+v", d.st)
	}
	d.tick(pass)
	if d.st.CanaryWeight != 50 || d.st.SessionAffinityCookie != first || d.st.PrimarySessionAffinityCookie == primary {
		t.Errorf("at weight 50 the canary keeps its cookie and the primary gets a new one: %+v", d.st)
	}
	for d.st.Phase.Active() {
		d.tick(pass)
	}
	if d.st.SessionAffinityCookie != "" || d.st.PrimarySessionAffinityCookie != "" || d.st.PreviousSessionAffinityCookie != first {
		t.Errorf("after the run: %+v", d.st)
	}
	// The next run makes a cookie of its own.
	d2 := &driver{t: t, c: c, st: d.st, now: d.now, rev: "v3"}
	d2.tick(nil)
	d2.tick(nil)
	if c := d2.st.SessionAffinityCookie; c == "" || c == first || d2.st.PreviousSessionAffinityCookie != first {
		t.Errorf("second run: %+v", d2.st)
	}
}

// TestCookieIsAPureFunctionOfTheDecision: the same decision writes the
// same cookie, so a pass retried after a push conflict makes the same
// commit.
func TestCookieIsAPureFunctionOfTheDecision(t *testing.T) {
	c := testCanary(t, "    stepWeight: 25\n    sessionAffinity:\n      cookieName: c\n")
	st := api.Status{Phase: api.PhaseProgressing, LastAppliedSpec: "v2", LastPromotedSpec: "v1", LastTransitionTime: t0}
	obs := Observation{Revision: "v2", Now: t0.Add(c.Spec.Analysis.Interval.Duration)}
	a, b := Decide(c, st, obs), Decide(c, st, obs)
	if a.Status.SessionAffinityCookie == "" || a.Status.SessionAffinityCookie != b.Status.SessionAffinityCookie {
		t.Errorf("cookies %q and %q", a.Status.SessionAffinityCookie, b.Status.SessionAffinityCookie)
	}
}
