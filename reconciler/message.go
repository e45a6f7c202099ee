package reconciler

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/machine"
)

// Trailer keys of gitcanary's commits.
const (
	TrailerCanary       = "Canary"
	TrailerPhase        = "Canary-Phase"
	TrailerWeight       = "Canary-Weight"
	TrailerRevision     = "Canary-Revision"
	TrailerFailedChecks = "Canary-Failed-Checks"
	// TrailerIterations is "2/10": the iterations of an A/B test or a
	// blue/green release, on the commits made while they count.
	TrailerIterations = "Canary-Iterations"
)

// commitMessage renders a transition as a commit: the first event is the
// subject, the others open the body, then the metric values and trailers.
// A subject longer than maxSubject, or naming an address, is shortened (see
// subject); the full event then opens the body.
func commitMessage(c *api.Canary, d machine.Decision) string {
	var body []string
	subj, short := subject(d.Events[0].Text)
	if short {
		body = append(body, d.Events[0].Text)
	}
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
		{Key: TrailerRevision, Value: d.Revision},
	}
	if st.FailedChecks > 0 {
		trailers = append(trailers, gitops.Trailer{Key: TrailerFailedChecks, Value: strconv.Itoa(st.FailedChecks)})
	}
	if n := c.Spec.Analysis.Iterations; n > 0 && st.Iterations > 0 {
		// Blue/green counts one past the end once all traffic is on the
		// canary: its iterations are done.
		trailers = append(trailers, gitops.Trailer{Key: TrailerIterations, Value: fmt.Sprintf("%d/%d", min(st.Iterations, n), n)})
	}
	return gitops.FormatMessage(subj, body, trailers)
}

// maxSubject is the longest commit subject gitcanary writes.
const maxSubject = 100

// address matches what names a host in an error: a URL, or a host or IP
// with a port.
var address = regexp.MustCompile(`[a-z][a-z0-9+.-]*://\S+|\b[\w.-]+:\d{2,5}\b`)

// subject shortens an event text for a commit subject when it is longer
// than maxSubject or names an address (an error chain such as "Prometheus
// query failed: running query failed: Post \"http://…\": dial tcp …:
// connect: connection refused"): Flagger's text up to its first ": " and
// the last cause of the chain ("Prometheus query failed: connection
// refused"), cut to maxSubject. It reports whether it shortened the text.
func subject(text string) (string, bool) {
	if len(text) <= maxSubject && !address.MatchString(text) {
		return text, false
	}
	out := text
	if head, _, ok := strings.Cut(text, ": "); ok {
		cause := text[strings.LastIndex(text, ": ")+2:]
		out = address.ReplaceAllString(head, "…") + ": " + address.ReplaceAllString(cause, "…")
	} else {
		out = address.ReplaceAllString(text, "…")
	}
	if len(out) > maxSubject {
		out = strings.TrimSpace(out[:maxSubject-len("…")]) + "…"
	}
	return out, true
}
