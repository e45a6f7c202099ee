package reconciler

import (
	"fmt"
	"strings"
	"testing"
)

// A release must never be lost: a change CI pushes right after any of
// gitcanary's commits, in any phase of a rollout, is detected, analysed and
// promoted — never absorbed into gitcanary's own commits (it used to be,
// after "Copying … template spec": the completion commit carried the new
// revision, the idle digest covered the new deployment.yaml, and the
// canary held the new version at zero replicas forever).

// rolloutCommits are the subjects of gitcanary's commits of one healthy
// rollout of the fixture (the canary strategy: stepWeight 10, maxWeight
// 50).
var rolloutCommits = []string{
	"New revision detected! Scaling up podinfo.test",
	"Starting canary analysis for podinfo.test",
	"Advance podinfo.test canary weight 20",
	"Advance podinfo.test canary weight 30",
	"Advance podinfo.test canary weight 40",
	"Advance podinfo.test canary weight 50",
	"Copying podinfo.test template spec to podinfo-primary.test",
	"Routing all traffic to primary",
	"Promotion completed! Scaling down podinfo.test",
}

// releases are the inputs a revision covers, each changed the way CI would.
var releases = map[string]struct {
	push    func(w *world, n int)
	primary func(n int) string // what primary.yaml holds once release n is promoted
}{
	"image": {
		push:    func(w *world, n int) { bumpImage(w, fmt.Sprintf("6.0.%d", n)) },
		primary: func(n int) string { return fmt.Sprintf("podinfo:6.0.%d", n) },
	},
	"configmap": {
		push: func(w *world, n int) {
			w.ciCommit(fmt.Sprintf("greeting %d", n), func(dir string) {
				b := gitRun(w.t, dir, "show", "HEAD:"+app+"configmap.yaml")
				i := strings.Index(b, "PODINFO_UI_MESSAGE: ")
				if i < 0 {
					w.t.Fatalf("configmap.yaml has no PODINFO_UI_MESSAGE:\n%s", b)
				}
				line := b[i : i+strings.Index(b[i:], "\n")]
				replaceIn(w.t, dir, app+"configmap.yaml", line, fmt.Sprintf("PODINFO_UI_MESSAGE: \"release %d\"", n))
			})
		},
		primary: func(n int) string { return fmt.Sprintf("release %d", n) },
	},
}

// fixtureSteps is the fixture canary's weight steps, which a strategy
// replaces.
const fixtureSteps = "    maxWeight: 50\n    stepWeight: 10\n"

// strategies are the other strategies a release must not be lost in, each
// with the commits of its rollout that leave a status the canary strategy
// never does (weight 100 on the matching requests, iterations, mirroring,
// all traffic on the canary, a cookie, primary weight steps); a release is
// pushed after each.
var strategies = []struct {
	name, provider, steps string
	after                 []string
}{
	{"A/B testing", "istio", "    iterations: 2\n    match:\n      - headers:\n          x-canary:\n            exact: insider\n", []string{
		"Starting canary analysis for podinfo.test",
		"Advance podinfo.test canary iteration 2/2",
		"Copying podinfo.test template spec to podinfo-primary.test",
	}},
	{"blue/green", "istio", "    iterations: 2\n", []string{
		"Routing all traffic to canary",
	}},
	{"blue/green with mirroring", "istio", "    iterations: 2\n    mirror: true\n    mirrorWeight: 50\n", []string{
		"Starting canary analysis for podinfo.test",
		"Stop traffic mirroring and route all traffic to canary",
	}},
	{"blue/green without a router", "kubernetes", "    iterations: 2\n", []string{
		"Advance podinfo.test canary iteration 2/2",
		"Copying podinfo.test template spec to podinfo-primary.test",
	}},
	{"canary with a mirror step", "istio", "    maxWeight: 50\n    stepWeight: 25\n    mirror: true\n", []string{
		"Starting canary analysis for podinfo.test",
		"Advance podinfo.test canary weight 25",
	}},
	{"session affinity", "istio", "    maxWeight: 50\n    stepWeight: 25\n    sessionAffinity:\n      cookieName: flagger-cookie\n", []string{
		"Starting canary analysis for podinfo.test",
		"Routing all traffic to primary",
	}},
	{"stepWeightPromotion", "istio", "    maxWeight: 50\n    stepWeight: 50\n    stepWeightPromotion: 25\n", []string{
		"Advance podinfo.test primary weight 75",
		"Advance podinfo.test primary weight 100",
	}},
}

func TestNoReleaseIsLost(t *testing.T) {
	t.Parallel()
	for input, rel := range releases {
		for k, after := range rolloutCommits {
			t.Run(fmt.Sprintf("%s after %d %s", input, k, after), func(t *testing.T) {
				t.Parallel()
				releaseAfter(t, newWorld(t, fixture), rel.push, rel.primary, after)
			})
		}
	}
	// Every strategy, with CI's image bumps.
	rel := releases["image"]
	for _, sg := range strategies {
		for _, after := range sg.after {
			t.Run(fmt.Sprintf("%s: image after %s", sg.name, after), func(t *testing.T) {
				t.Parallel()
				w := newWorld(t, fixture)
				w.ciCommit(sg.name, func(dir string) {
					replaceIn(t, dir, app+"canary.yaml", fixtureSteps, sg.steps)
					replaceIn(t, dir, app+"canary.yaml", "provider: istio", "provider: "+sg.provider)
				})
				releaseAfter(t, w, rel.push, rel.primary, after)
			})
		}
	}
}

// releaseAfter pushes release 1 and, right after gitcanary's commit after
// of its rollout, release 2; release 2 must be detected, analysed and
// promoted.
func releaseAfter(t *testing.T, w *world, push func(w *world, n int), primary func(n int) string, after string) {
	w.pass(0)
	w.setChecks(pass)
	push(w, 1)
	for i := 0; w.subject() != after; i++ {
		if i == 20 {
			t.Fatalf("the first release never reached %q:\n%s", after, strings.Join(w.subjects(), "\n"))
		}
		w.pass(tick)
	}
	push(w, 2)
	bump := len(w.subjects())
	// Done when a rollout started after the push has completed.
	promoted := func() bool {
		detected := false
		for _, s := range w.since(bump) {
			detected = detected || strings.HasPrefix(s, "New revision detected!")
			if detected && strings.HasPrefix(s, "Promotion completed!") {
				return true
			}
		}
		return false
	}
	for i := 0; i < 30 && !promoted(); i++ {
		w.pass(tick)
	}
	if later := w.since(bump); !promoted() {
		t.Fatalf("release 2, pushed after %q, was not analysed and promoted; the commits after it:\n%s", after, strings.Join(later, "\n"))
	}
	if p := w.show("main", gen+"primary.yaml"); !strings.Contains(p, primary(2)) {
		t.Errorf("the primary does not run release 2:\n%s", p)
	}
	// The completion commit is about the revision it promoted.
	st := w.show("main", gen+"status.yaml")
	if rev := w.revision(); !strings.Contains(st, "lastPromotedSpec: "+rev) || !strings.Contains(st, "phase: Succeeded") {
		t.Errorf("last commit is about revision %s, status:\n%s", rev, st)
	}
	// And nothing more happens: no commit in an idle pass.
	if res := w.pass(tick); res.Commits != 0 {
		t.Errorf("an idle pass made %d commits", res.Commits)
	}
}
