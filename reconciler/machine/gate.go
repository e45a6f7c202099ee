package machine

import (
	"fmt"
	"slices"
	"time"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// syncGate holds a step until the cluster has applied the canary's last
// commit and one analysis interval has passed since, when the canary has a
// sync gate. While the analysis runs (Progressing, WaitingPromotion), a
// failure reported by the GitOps agent or a gate not open within its
// timeout is a failed check, so the threshold bounds it. Once the target is
// copied to the primary (Promoting, Finalising) there is nothing left to
// judge: the gate only waits, up to its timeout, and the promotion goes on
// with the reason in the commit body.
func (t *tick) syncGate() (Decision, bool) {
	g := t.c.Spec.GitOps.SyncGate
	if g == nil || g.Type == "" || g.Type == "none" {
		return Decision{}, false
	}
	gate := t.obs.Gate
	if gate == nil {
		return t.need(NeedGate)
	}
	name := g.Context
	if g.Type == "prometheus" {
		name = "query"
	}
	judging := slices.Contains(analysing, t.st.Phase)
	halt := func(what string) (Decision, bool) {
		if judging {
			return t.failedCheck(fmt.Sprintf("Halt %s advancement %s", t.c.Key(), what)), true
		}
		t.body = append(t.body, what+": the promotion goes on")
		return Decision{}, false
	}
	switch {
	case gate.Failed:
		return halt(fmt.Sprintf("sync gate %s failed: %s", name, gate.Detail))
	case !gate.Open:
		timeout := gateTimeout(t.c)
		if waited := t.obs.Now.Sub(t.st.LastTransitionTime); waited >= timeout {
			return halt(fmt.Sprintf("sync gate %s not open after %s", name, timeout))
		}
		return t.wait("waiting for the sync gate " + name + " to see the last commit applied"), true
	}
	if due := gate.Since.Add(t.c.Spec.Analysis.Interval.Duration); t.obs.Now.Before(due) {
		return t.wait("sync gate open; analysis window ends in " + due.Sub(t.obs.Now).Round(time.Millisecond).String()), true
	}
	applied := gate.Since.Sub(t.st.LastTransitionTime).Round(100 * time.Millisecond)
	t.body = append(t.body, fmt.Sprintf("sync gate: %s, %s after the last commit", gate.Detail, max(applied, 0)))
	return Decision{}, false
}

// gateTimeout is the sync gate's timeout: spec.gitops.syncGate.timeout,
// else progressDeadlineSeconds (Flagger's deadline for the canary to get
// ready).
func gateTimeout(c *api.Canary) time.Duration {
	if t := c.Spec.GitOps.SyncGate.Timeout.Duration; t > 0 {
		return t
	}
	return time.Duration(*c.Spec.ProgressDeadlineSeconds) * time.Second
}
