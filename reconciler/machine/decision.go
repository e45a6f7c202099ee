package machine

import "github.com/gitcanary/gitcanary/reconciler/api"

// MaxRounds bounds how often a caller decides again on one tick: each
// answer (providers, pull request, gate, metrics, each hook type) is asked
// for at most once.
const MaxRounds = 16

// Need is an observation the machine asks for before it can decide.
type Need int

// Observations a Decision may need.
const (
	NeedNothing Need = iota
	// NeedProviders asks for the metric providers' availability.
	NeedProviders
	// NeedPR asks for the approval gate's pull request.
	NeedPR
	// NeedGate asks the sync gate about the canary's last commit.
	NeedGate
	// NeedMetrics asks for the metric checks.
	NeedMetrics
	// NeedHooks asks to run the webhooks of type Decision.Hook.
	NeedHooks
)

func (n Need) String() string {
	return [...]string{"nothing", "metric providers", "pull request", "sync gate", "metrics", "webhooks"}[n]
}

// Decision is the outcome of Decide: a transition to commit (Commit), an
// observation to make first (Need), or a wait (Wait says why).
type Decision struct {
	// Need, when set, asks the caller to observe it and decide again.
	Need Need
	// Hook is the webhook type to run when Need is NeedHooks.
	Hook string

	// Commit is true when the decision is a transition: a commit is due.
	Commit bool
	// Status is the status after the transition.
	Status api.Status
	// Revision is the revision the transition is about: the analysed one,
	// the failed one on rollback, the proposed one at an approval gate. It
	// is the commit's Canary-Revision trailer.
	Revision string
	// Events are the transition's events, the first one the commit subject.
	Events []Event
	// Body lines for the commit (metric values, sync gate, hooks).
	Body []string
	// CopyPrimary regenerates the primary from the current target.
	CopyPrimary bool
	// RevertTarget restores the target's inputs to the status's
	// LastPromotedCommit as it was before the transition.
	RevertTarget bool
	// Terminate removes the canary's generated folder and its components
	// entry from the app's kustomization: the app renders as its owner
	// wrote it (revertOnDeletion).
	Terminate bool

	// Proposal, when set, is a transition proposed in a pull request, to
	// open, bring up to date or merge; see Proposal.
	Proposal *Proposal
	// Close, when set, is a pull request to close with Close.Comment.
	Close *Proposal

	// Idle is true when the canary has nothing to do until its inputs
	// change: no rollout runs and the target is at a known revision. The
	// caller may remember the inputs and skip the canary until they change.
	Idle bool
	// Wait explains, for logs, why nothing happened.
	Wait string
}

// Approval gates.
const (
	GateRollout   = "rollout"
	GatePromotion = "promotion"
)

// Proposal is a transition that waits for approval in a pull request: the
// caller commits it on top of the branch head, pushes it to Branch (its own
// branch, rebuilt when the branch head moves) and opens or updates the pull
// request; or merges or closes that pull request.
type Proposal struct {
	Gate   string
	Branch string
	// Next is the proposed transition, as it will land when merged.
	Next Decision
	// Revision the proposal is about.
	Revision string
	// Merge asks to merge the pull request (mergeOnApproval).
	Merge bool
	// Comment explains why the pull request is closed (Decision.Close).
	Comment string
	// PR is the pull request the decision was taken on.
	PR PRState
}
