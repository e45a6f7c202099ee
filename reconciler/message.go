package reconciler

import (
	"strconv"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Trailer keys of gitcanary's commits.
const (
	TrailerCanary       = "Canary"
	TrailerPhase        = "Canary-Phase"
	TrailerWeight       = "Canary-Weight"
	TrailerRevision     = "Canary-Revision"
	TrailerFailedChecks = "Canary-Failed-Checks"
)

// commitMessage renders a transition as a commit: the first event is the
// subject, the others open the body, then the metric values and trailers.
// rev is the revision the transition is about (the failed one on rollback).
func commitMessage(c *api.Canary, d Decision, rev string) string {
	var body []string
	for _, e := range d.Events[1:] {
		body = append(body, e.Text)
	}
	if len(body) > 0 && len(d.Body) > 0 {
		body = append(body, "")
	}
	body = append(body, d.Body...)
	st := d.Status
	trailers := []gitops.Trailer{
		{Key: TrailerCanary, Value: c.ID()},
		{Key: TrailerPhase, Value: string(st.Phase)},
		{Key: TrailerWeight, Value: strconv.Itoa(st.CanaryWeight)},
		{Key: TrailerRevision, Value: rev},
	}
	if st.FailedChecks > 0 {
		trailers = append(trailers, gitops.Trailer{Key: TrailerFailedChecks, Value: strconv.Itoa(st.FailedChecks)})
	}
	return gitops.FormatMessage(d.Events[0].Text, body, trailers)
}
