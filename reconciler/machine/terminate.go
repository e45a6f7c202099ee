package machine

import "github.com/gitcanary/gitcanary/reconciler/api"

// terminate handles a canary whose Canary document is gone from the
// repository (Observation.Deleted), as Flagger's finalizer does: with
// spec.revertOnDeletion the app is handed back to its owner in one commit
// (phase Terminated, Decision.Terminate); without it gitcanary stops
// acting on the canary and the app keeps serving as the last commit left
// it, rather than copying Flagger's target scaled to zero.
func (t *tick) terminate() (Decision, bool) {
	if !t.obs.Deleted {
		return Decision{}, false
	}
	if !t.c.Spec.RevertOnDeletion {
		d := t.wait("the Canary was deleted without spec.revertOnDeletion: its generated folder stays as the last commit left it")
		d.Idle = true
		return d, true
	}
	next := t.st
	next.Phase = api.PhaseTerminated
	next.CanaryWeight, next.Iterations = 0, 0
	next.Mirrored = false
	next.Approval = nil
	next.Paused, next.PausedBy = false, ""
	d := t.transition(next, t.st.LastAppliedSpec, evTerminated(t.c))
	d.Body = append(d.Body, evTerminating(t.c).Text+": the generated folder and its components and transformers entries are removed; the target serves as its own files say.")
	d.Terminate = true
	return d, true
}

func evTerminating(c *api.Canary) Event { return info("Terminating canary %s", c.Key()) }
func evTerminated(c *api.Canary) Event  { return info("Terminated canary %s", c.Key()) }
