package api

import (
	"errors"
	"fmt"
	pathpkg "path"
	"slices"
	"strings"
	"time"
)

// Phase is the canary's phase, as in Flagger.
type Phase string

// Phases of a canary.
const (
	PhaseInitializing     Phase = "Initializing"
	PhaseInitialized      Phase = "Initialized"
	PhaseWaiting          Phase = "Waiting"
	PhaseProgressing      Phase = "Progressing"
	PhaseWaitingPromotion Phase = "WaitingPromotion"
	PhasePromoting        Phase = "Promoting"
	PhaseFinalising       Phase = "Finalising"
	PhaseSucceeded        Phase = "Succeeded"
	PhaseFailed           Phase = "Failed"
	PhaseTerminating      Phase = "Terminating"
	PhaseTerminated       Phase = "Terminated"
)

// Phases are the phases a status may hold, in Flagger's order.
var Phases = []Phase{
	PhaseInitializing, PhaseInitialized, PhaseWaiting, PhaseProgressing, PhaseWaitingPromotion,
	PhasePromoting, PhaseFinalising, PhaseSucceeded, PhaseFailed, PhaseTerminating, PhaseTerminated,
}

func phaseList() string {
	names := make([]string, len(Phases))
	for i, p := range Phases {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}

// Active reports whether a rollout is under way in this phase.
func (p Phase) Active() bool {
	switch p {
	case PhaseWaiting, PhaseProgressing, PhaseWaitingPromotion, PhasePromoting, PhaseFinalising:
		return true
	}
	return false
}

// Status is the canary's status subresource, kept in Git as status.yaml.
type Status struct {
	Phase        Phase `json:"phase"`
	CanaryWeight int   `json:"canaryWeight"`
	FailedChecks int   `json:"failedChecks"`
	Iterations   int   `json:"iterations"`
	// Mirrored is set while the router copies the primary's requests to
	// the canary (Flagger's mirrored routes).
	Mirrored bool `json:"mirrored,omitempty"`
	// SessionAffinityCookie is the "name=value" cookie the canary's
	// responses set while it gets traffic (analysis.sessionAffinity);
	// PreviousSessionAffinityCookie is the last run's, which the router
	// expires once the run is over; PrimarySessionAffinityCookie is the
	// one the primary's responses set (sessionAffinity.primaryCookieName).
	SessionAffinityCookie         string `json:"sessionAffinityCookie,omitempty"`
	PreviousSessionAffinityCookie string `json:"previousSessionAffinityCookie,omitempty"`
	PrimarySessionAffinityCookie  string `json:"primarySessionAffinityCookie,omitempty"`
	// LastAppliedSpec is the revision (hash) of the target last acted on.
	LastAppliedSpec string `json:"lastAppliedSpec,omitempty"`
	// LastPromotedSpec is the revision running as the primary.
	LastPromotedSpec string `json:"lastPromotedSpec,omitempty"`
	// LastPromotedCommit is a commit whose tree holds the target's inputs
	// in the promoted state; rollbacks revert to it.
	LastPromotedCommit string `json:"lastPromotedCommit,omitempty"`
	// FailedRevision is the revision of the last rollout that failed.
	FailedRevision string `json:"failedRevision,omitempty"`
	// LastFailure is the text of the last failed check ("Halt podinfo.test
	// advancement success rate 69.17% < 99%"), or of the last rollback a
	// webhook asked for; the alert of a rollback gives it as the reason.
	LastFailure string `json:"lastFailure,omitempty"`
	// TrackedConfigs maps "ConfigMap/name" and "Secret/name" to the hash
	// of their content at the last applied revision.
	TrackedConfigs map[string]string `json:"trackedConfigs,omitempty"`
	// Approval is the pull request the canary waits for, at the rollout
	// or the promotion gate (phase Waiting or WaitingPromotion).
	Approval *PendingApproval `json:"approval,omitempty"`
	// Paused is set by `gitcanary pause` and cleared by `resume`: a paused
	// canary makes no transition.
	Paused bool `json:"paused,omitempty"`
	// PausedBy is who asked for the pause ("Jane Doe <jane@example.com>")
	// and PausedAt when the pass honoured it; both are set with Paused and
	// cleared with it.
	PausedBy string    `json:"pausedBy,omitempty"`
	PausedAt time.Time `json:"pausedAt,omitzero"`
	// Rollout is the rollout in progress or last run: the commit that
	// started it (the CI change), where gitcanary reports its outcome.
	Rollout *RolloutRef `json:"rollout,omitempty"`
	// Inputs are the files the target is rendered from; a pass that finds
	// them unchanged needs no render.
	Inputs             *Inputs     `json:"inputs,omitempty"`
	LastTransitionTime time.Time   `json:"lastTransitionTime"`
	Conditions         []Condition `json:"conditions,omitempty"`
}

// PendingApproval is a pull-request gate in progress.
type PendingApproval struct {
	// Gate is "rollout" or "promotion".
	Gate string `json:"gate"`
	// Revision is the revision the pull request is about.
	Revision string `json:"revision"`
	// Branch holds the proposed commit; the pull request merges it.
	Branch string `json:"branch"`
}

// RolloutRef locates a rollout in the history.
type RolloutRef struct {
	// Commit is the first-parent commit that changed the target's inputs
	// to the revision under analysis: the CI change that triggered it.
	Commit string `json:"commit"`
	// Started is when its new revision was detected.
	Started time.Time `json:"started"`
}

// Inputs records the files a target's render read and their digest.
type Inputs struct {
	Digest string   `json:"digest"`
	Paths  []string `json:"paths"`
}

// Condition is a Kubernetes-style condition.
type Condition struct {
	Type               string    `json:"type"`
	Status             string    `json:"status"`
	LastTransitionTime time.Time `json:"lastTransitionTime"`
	Reason             string    `json:"reason"`
	Message            string    `json:"message"`
}

// ValidCookie reports whether s is a "name=value" cookie whose name and
// value are non-empty runs of letters, digits and -._~: what gitcanary
// writes, and what the routers can match in a Cookie header without
// escaping.
func ValidCookie(s string) bool {
	name, value, ok := strings.Cut(s, "=")
	return ok && cookieToken(name) && cookieToken(value)
}

func cookieToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
			return false
		}
	}
	return true
}

// statusFile is the on-disk shape of status.yaml.
type statusFile struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   ObjectMeta `json:"metadata"`
	Status     Status     `json:"status"`
}

const statusHeader = "# Written by gitcanary: the status of this canary. Not a Kubernetes object,\n# not rendered; edit it only to recover from a mistake.\n"

// MarshalStatus renders status.yaml for the canary.
func MarshalStatus(c *Canary, st Status) ([]byte, error) {
	f := statusFile{
		APIVersion: GroupVersion,
		Kind:       KindCanaryStatus,
		Metadata:   ObjectMeta{Name: c.Metadata.Name, Namespace: c.Metadata.Namespace},
		Status:     st,
	}
	f.Status.LastTransitionTime = st.LastTransitionTime.UTC()
	return encodeFile(statusHeader, f)
}

// MaxClockSkew is how far in the future a time in status.yaml may be: the
// clocks of the machines running gitcanary on one repository differ a
// little, but a lastTransitionTime an hour ahead would silently hold the
// canary for that hour.
const MaxClockSkew = time.Minute

// UnmarshalStatus parses status.yaml and checks it as of now: a known
// phase, weights and counters in range, names that are DNS-1123 labels, an
// approval branch of the canary's own, relative input paths, and no time
// more than [MaxClockSkew] after now. Each problem is a *FieldError naming
// the file and the field; the status is returned with them, for a caller
// that shows what it can.
func UnmarshalStatus(path string, data []byte, now time.Time) (Status, error) {
	_, st, err := UnmarshalStatusOf(path, data, now)
	return st, err
}

// UnmarshalStatusOf is UnmarshalStatus that also returns the canary the
// status belongs to (its metadata): what a pass knows of a canary whose
// Canary document is gone.
func UnmarshalStatusOf(path string, data []byte, now time.Time) (ObjectMeta, Status, error) {
	var f statusFile
	if err := decodeFile(path, data, KindCanaryStatus, &f); err != nil {
		return ObjectMeta{}, Status{}, err
	}
	return f.Metadata, f.Status, f.validate(path, now)
}

func (f *statusFile) validate(path string, now time.Time) error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Source: Source{Path: path, Index: wholeFile}, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	md, st := f.Metadata, f.Status
	if why := checkLabel(md.Name); why != "" {
		add("metadata.name", "%s", why)
	}
	if why := checkLabel(md.Namespace); why != "" {
		add("metadata.namespace", "%s", why)
	}
	if !slices.Contains(Phases, st.Phase) {
		add("status.phase", "unknown phase %q (want one of %s)", st.Phase, phaseList())
	}
	if st.CanaryWeight < 0 || st.CanaryWeight > 100 {
		add("status.canaryWeight", "must be between 0 and 100, got %d", st.CanaryWeight)
	}
	if st.FailedChecks < 0 {
		add("status.failedChecks", "must not be negative, got %d", st.FailedChecks)
	}
	if st.Iterations < 0 {
		add("status.iterations", "must not be negative, got %d", st.Iterations)
	}
	for _, c := range []struct{ field, value string }{
		{"status.sessionAffinityCookie", st.SessionAffinityCookie},
		{"status.previousSessionAffinityCookie", st.PreviousSessionAffinityCookie},
		{"status.primarySessionAffinityCookie", st.PrimarySessionAffinityCookie},
	} {
		if c.value != "" && !ValidCookie(c.value) {
			add(c.field, "must be a cookie name=value of letters, digits and -._~, got %q", c.value)
		}
	}
	if ap := st.Approval; ap != nil {
		if ap.Gate != "rollout" && ap.Gate != "promotion" {
			add("status.approval.gate", "must be rollout or promotion, got %q", ap.Gate)
		}
		if prefix := fmt.Sprintf("gitcanary/%s/%s/", md.Namespace, md.Name); !strings.HasPrefix(ap.Branch, prefix) {
			add("status.approval.branch", "must be a branch under %s, got %q", prefix, ap.Branch)
		}
	}
	if in := st.Inputs; in != nil {
		for i, p := range in.Paths {
			// A path ending in "/" is a directory listing (a Helm chart's).
			if d := strings.TrimSuffix(p, "/"); d != p && d != "" {
				p = d
			}
			if p == "" || p != pathpkg.Clean(p) || pathpkg.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
				add(fmt.Sprintf("status.inputs.paths[%d]", i), "must be a clean path relative to the repository root, got %q", p)
			}
		}
	}
	future := func(field string, t time.Time) {
		if t.After(now.Add(MaxClockSkew)) {
			add(field, "%s is in the future (now %s): a canary's transitions cannot be later than the clock", t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
	}
	future("status.lastTransitionTime", st.LastTransitionTime)
	future("status.pausedAt", st.PausedAt)
	for i, c := range st.Conditions {
		future(fmt.Sprintf("status.conditions[%d].lastTransitionTime", i), c.LastTransitionTime)
	}
	return errors.Join(errs...)
}
