package api

import (
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
	// PausedBy is who paused the canary ("Name <email>") and PausedAt
	// when; both are cleared by resume.
	PausedBy string     `json:"pausedBy,omitempty"`
	PausedAt *time.Time `json:"pausedAt,omitempty"`
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

// UnmarshalStatus parses status.yaml.
func UnmarshalStatus(path string, data []byte) (Status, error) {
	var f statusFile
	err := decodeFile(path, data, KindCanaryStatus, &f)
	return f.Status, err
}
