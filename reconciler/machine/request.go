package machine

import (
	"time"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// request honours a manual request; every outcome, an ignored request too,
// is a commit that records it.
func (t *tick) request() (Decision, bool) {
	rq := t.obs.Request
	if rq == nil {
		return Decision{}, false
	}
	st := t.st
	rev := st.LastAppliedSpec
	ignore := func(why string) (Decision, bool) {
		return t.transition(st, rev, info("Ignored %s request for %s by %s: %s", rq.Action, t.c.Key(), rq.By, why)), true
	}
	analysing := st.Phase == api.PhaseProgressing || st.Phase == api.PhaseWaiting || st.Phase == api.PhaseWaitingPromotion
	switch rq.Action {
	case "pause":
		next := st
		next.Paused = true
		next.PausedBy = rq.By
		next.PausedAt = t.obs.Now.UTC().Truncate(time.Millisecond)
		return t.transition(next, rev, info("Paused %s as requested by %s", t.c.Key(), rq.By)), true
	case "resume":
		next := st
		next.Paused = false
		next.PausedBy, next.PausedAt = "", time.Time{}
		return t.transition(next, rev, info("Resumed %s as requested by %s", t.c.Key(), rq.By)), true
	case "abort":
		if !analysing {
			return ignore("no analysis in progress")
		}
		return t.rollback(warning("Rolling back %s manual abort requested by %s", t.c.Key(), rq.By)), true
	case "promote":
		if !analysing {
			return ignore("no analysis in progress")
		}
		if t.obs.Revision != st.LastAppliedSpec {
			return ignore("a new revision arrived; its analysis restarts on the next step")
		}
		return t.promote(info("Promotion of %s requested by %s", t.c.Key(), rq.By), evCopying(t.c, t.obs)), true
	}
	return ignore("unknown action")
}
