package machine

import (
	"crypto/sha256"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// affinity keeps the session-affinity cookies of a transition's status,
// as Flagger's routers do on every SetRoutes: while the canary gets
// traffic its responses set the run's cookie (made once per run), and with
// primaryCookieName the primary's set one of their own, made anew at each
// weight step; once the canary gets no traffic, the run's cookie becomes
// the previous one, which the router expires.
//
// Flagger draws the values at random; here they derive from the canary,
// the revision and the time of the transition, so that a decision is a
// pure function and every pass that takes it writes the same commit.
func (t *tick) affinity(next api.Status) api.Status {
	a := t.c.Spec.Analysis
	if a == nil || a.SessionAffinity == nil {
		return next
	}
	sa := a.SessionAffinity
	if next.CanaryWeight == 0 {
		if next.SessionAffinityCookie != "" {
			next.PreviousSessionAffinityCookie = next.SessionAffinityCookie
		}
		next.SessionAffinityCookie, next.PrimarySessionAffinityCookie = "", ""
		return next
	}
	if next.SessionAffinityCookie == "" {
		next.SessionAffinityCookie = sa.CookieName + "=" + t.token("canary")
	}
	if sa.PrimaryCookieName != "" && (next.PrimarySessionAffinityCookie == "" || next.CanaryWeight != t.st.CanaryWeight) {
		next.PrimarySessionAffinityCookie = sa.PrimaryCookieName + "=" + t.token("primary")
	}
	return next
}

// tokenLetters are the letters of a cookie value, as Flagger's randSeq.
const tokenLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// token is a ten-letter cookie value for role, unique to the canary, the
// observed revision and the time of the decision.
func (t *tick) token(role string) string {
	sum := sha256.Sum256([]byte(t.c.ID() + "\x00" + t.obs.Revision + "\x00" + t.obs.Now.UTC().Format("2006-01-02T15:04:05.000") + "\x00" + role))
	out := make([]byte, 10)
	for i := range out {
		out[i] = tokenLetters[int(sum[i])%len(tokenLetters)]
	}
	return string(out)
}
