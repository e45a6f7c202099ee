package machine

import (
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/api/apitest"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func testCanary(t *testing.T, analysis string) *api.Canary {
	t.Helper()
	return apitest.Canary(t, "    interval: 10s\n"+analysis)
}

var (
	pass = []Check{{Metric: "request-success-rate", Passed: true, Summary: "request-success-rate 100.00% >= 99%"}}
	fail = []Check{{Metric: "request-success-rate", Halt: "Halt podinfo.test advancement success rate 50.00% < 99%", Summary: "request-success-rate 50.00% < 99%"}}
)

// run drives Decide through a sequence of ticks, one interval apart, and
// returns the subjects of the commits it made.
type driver struct {
	t    *testing.T
	c    *api.Canary
	st   api.Status
	now  time.Time
	rev  string
	log  []string
	last Decision
	// noRouter decides as for a provider without a router (kubernetes).
	noRouter bool
}

func (d *driver) tick(checks []Check) Decision {
	d.t.Helper()
	d.now = d.now.Add(d.c.Spec.Analysis.Interval.Duration)
	obs := Observation{Revision: d.rev, Head: "head-" + d.rev, Now: d.now, NoRouter: d.noRouter}
	dec := Decide(d.c, d.st, obs)
	if dec.Need == NeedMetrics {
		if checks == nil {
			d.t.Fatalf("tick at %s: checks needed but none given (status %+v)", d.now, d.st)
		}
		obs.Metrics = &Metrics{Checks: checks}
		dec = Decide(d.c, d.st, obs)
		if dec.Need != NeedNothing {
			d.t.Fatalf("need %s after the metrics", dec.Need)
		}
	}
	if dec.Commit {
		d.st = dec.Status
		d.log = append(d.log, dec.Events[0].Text)
	}
	d.last = dec
	return dec
}

func newDriver(t *testing.T, c *api.Canary) *driver {
	d := &driver{t: t, c: c, now: t0, rev: "v1"}
	d.tick(nil)
	if d.st.Phase != api.PhaseInitialized || !d.last.CopyPrimary {
		t.Fatalf("init: got %+v", d.last)
	}
	return d
}

func wantLog(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n got: %q\nwant: %q", got, want)
	}
}

func TestPromotion(t *testing.T) {
	c := testCanary(t, "    stepWeight: 20\n    maxWeight: 50\n    threshold: 2\n")
	d := newDriver(t, c)
	d.rev = "v2"
	for i := 0; i < 8; i++ {
		d.tick(pass)
	}
	wantLog(t, d.log,
		"Initialization done! podinfo.test",
		"New revision detected! Scaling up podinfo.test",
		"Starting canary analysis for podinfo.test",
		"Advance podinfo.test canary weight 40",
		"Advance podinfo.test canary weight 60",
		"Copying podinfo.test template spec to podinfo-primary.test",
		"Routing all traffic to primary",
		"Promotion completed! Scaling down podinfo.test",
	)
	if d.st.Phase != api.PhaseSucceeded || d.st.LastPromotedSpec != "v2" || d.st.CanaryWeight != 0 {
		t.Errorf("final status %+v", d.st)
	}
	// Idle: nothing more to do.
	if dec := d.tick(nil); dec.Commit || dec.Wait != "no new revision" {
		t.Errorf("idle tick: %+v", dec)
	}
}

func TestStartingAdvancesInTheSameCommit(t *testing.T) {
	c := testCanary(t, "    stepWeight: 10\n")
	d := newDriver(t, c)
	d.rev = "v2"
	d.tick(nil)
	dec := d.tick(nil)
	if len(dec.Events) != 2 || dec.Events[1].Text != "Advance podinfo.test canary weight 10" || dec.Status.CanaryWeight != 10 {
		t.Fatalf("got %+v", dec)
	}
}

func TestRollbackOnTheTickAfterThreshold(t *testing.T) {
	c := testCanary(t, "    stepWeight: 10\n    threshold: 2\n")
	d := newDriver(t, c)
	d.rev = "v2"
	d.tick(nil)
	d.tick(nil)
	d.tick(pass)
	d.tick(fail)
	if d.st.FailedChecks != 1 || d.st.CanaryWeight != 20 {
		t.Fatalf("after one failure: %+v", d.st)
	}
	d.tick(pass) // failed checks are cumulative: a pass does not reset them
	d.tick(fail)
	if d.st.Phase != api.PhaseProgressing || d.st.FailedChecks != 2 {
		t.Fatalf("threshold reached but rollback must wait a tick: %+v", d.st)
	}
	dec := d.tick(nil)
	wantLog(t, d.log[len(d.log)-4:],
		"Halt podinfo.test advancement success rate 50.00% < 99%",
		"Advance podinfo.test canary weight 30",
		"Halt podinfo.test advancement success rate 50.00% < 99%",
		"Rolling back podinfo.test failed checks threshold reached 2",
	)
	if len(dec.Events) != 2 || dec.Events[1].Text != "Canary failed! Scaling down podinfo.test" || !dec.Events[1].Warning {
		t.Errorf("rollback events %+v", dec.Events)
	}
	if !dec.RevertTarget || d.st.Phase != api.PhaseFailed || d.st.CanaryWeight != 0 {
		t.Errorf("rollback decision %+v", dec)
	}
	if d.st.LastAppliedSpec != "v1" || d.st.FailedRevision != "v2" {
		t.Errorf("after revert the target is at v1 and v2 is recorded as failed: %+v", d.st)
	}
	// The reverted target (v1) is a no-op; pushing v2 again retries.
	d.rev = "v1"
	if dec := d.tick(nil); dec.Commit {
		t.Errorf("reverted target must not start a canary: %+v", dec)
	}
	d.rev = "v2"
	if dec := d.tick(nil); !dec.Commit || dec.Events[0].Text != "New revision detected! Scaling up podinfo.test" || dec.Status.FailedChecks != 0 {
		t.Errorf("re-push of the failed version: %+v", dec)
	}
}

func TestRollbackWithoutRevert(t *testing.T) {
	c := testCanary(t, "    stepWeight: 10\n")
	f := false
	c.Spec.GitOps.Rollback = &api.Rollback{RevertTarget: &f}
	d := newDriver(t, c)
	d.rev = "v2"
	d.tick(nil)
	d.tick(nil)
	d.tick(fail)
	dec := d.tick(nil)
	if dec.RevertTarget || d.st.Phase != api.PhaseFailed || d.st.LastAppliedSpec != "v2" {
		t.Fatalf("got %+v", dec)
	}
	// Flagger's rule: the failed revision stays applied and is not retried.
	if dec := d.tick(nil); dec.Commit {
		t.Errorf("failed revision retried without a change: %+v", dec)
	}
}

func TestRestartOnNewRevision(t *testing.T) {
	c := testCanary(t, "    stepWeight: 10\n    threshold: 5\n")
	d := newDriver(t, c)
	d.rev = "v2"
	d.tick(nil)
	d.tick(nil)
	d.tick(fail)
	d.rev = "v3"
	dec := d.tick(nil)
	if dec.Events[0].Text != "New revision detected! Restarting analysis for podinfo.test" {
		t.Fatalf("got %+v", dec.Events)
	}
	if st := dec.Status; st.CanaryWeight != 0 || st.FailedChecks != 0 || st.LastAppliedSpec != "v3" || st.Phase != api.PhaseProgressing {
		t.Errorf("restart status %+v", st)
	}
}

func TestStepWeights(t *testing.T) {
	c := testCanary(t, "    stepWeights: [1, 5, 25, 60]\n")
	if c.Spec.Analysis.MaxWeight != 60 {
		t.Fatalf("maxWeight = %d, want the last step", c.Spec.Analysis.MaxWeight)
	}
	d := newDriver(t, c)
	d.rev = "v2"
	for i := 0; i < 6; i++ {
		d.tick(pass)
	}
	wantLog(t, d.log[2:],
		"Starting canary analysis for podinfo.test",
		"Advance podinfo.test canary weight 5",
		"Advance podinfo.test canary weight 25",
		"Advance podinfo.test canary weight 60",
		"Copying podinfo.test template spec to podinfo-primary.test",
	)
}

func TestStepWeightPromotion(t *testing.T) {
	c := testCanary(t, "    stepWeight: 50\n    stepWeightPromotion: 30\n")
	d := newDriver(t, c)
	d.rev = "v2"
	for i := 0; i < 9; i++ {
		d.tick(pass)
	}
	wantLog(t, d.log[3:],
		"Advance podinfo.test canary weight 100",
		"Copying podinfo.test template spec to podinfo-primary.test",
		"Advance podinfo.test primary weight 30",
		"Advance podinfo.test primary weight 60",
		"Advance podinfo.test primary weight 90",
		// Flagger's runPromotionTrafficShift says so for the last step too.
		"Advance podinfo.test primary weight 100",
		"Promotion completed! Scaling down podinfo.test",
	)
}

func TestSkipAnalysis(t *testing.T) {
	c := testCanary(t, "    stepWeight: 10\n")
	c.Spec.SkipAnalysis = true
	d := newDriver(t, c)
	d.rev = "v2"
	d.tick(nil)
	dec := d.tick(nil)
	if !dec.CopyPrimary || dec.Status.Phase != api.PhaseSucceeded || dec.Status.LastPromotedSpec != "v2" {
		t.Fatalf("got %+v", dec)
	}
	if dec.Events[1].Text != "Promotion completed! Canary analysis was skipped for podinfo.test" {
		t.Errorf("events %+v", dec.Events)
	}
}

func TestNotDueAndSuspend(t *testing.T) {
	c := testCanary(t, "    stepWeight: 10\n")
	d := newDriver(t, c)
	d.rev = "v2"
	d.tick(nil)
	early := Decide(c, d.st, Observation{Revision: "v2", Now: d.now.Add(3 * time.Second)})
	if early.Commit || early.Need != NeedNothing || early.Wait != "next step due in 7s" {
		t.Errorf("not due: %+v", early)
	}
	c.Spec.Suspend = true
	if dec := d.tick(pass); dec.Commit || dec.Wait != "canary is suspended" {
		t.Errorf("suspended: %+v", dec)
	}
}

func TestPromotedRevisionIsNoOp(t *testing.T) {
	c := testCanary(t, "    stepWeight: 10\n")
	d := newDriver(t, c)
	d.st.LastAppliedSpec = "v9" // e.g. after a rollback without revert
	if dec := d.tick(nil); dec.Commit {
		t.Errorf("target equal to lastPromotedSpec started a canary: %+v", dec)
	}
}

func TestHaltBodyHasEveryMetric(t *testing.T) {
	c := testCanary(t, "    stepWeight: 10\n    threshold: 3\n")
	d := newDriver(t, c)
	d.rev = "v2"
	d.tick(nil)
	d.tick(nil)
	dec := d.tick([]Check{
		{Metric: "request-success-rate", Passed: true, Summary: "request-success-rate 99.90% >= 99%"},
		{Metric: "request-duration", Halt: "Halt podinfo.test advancement request duration 1.2s > 500ms", Summary: "request-duration 1.2s > 500ms"},
	})
	if dec.Events[0].Text != "Halt podinfo.test advancement request duration 1.2s > 500ms" || len(dec.Body) != 2 || dec.Status.CanaryWeight != 10 {
		t.Errorf("got %+v", dec)
	}
}
