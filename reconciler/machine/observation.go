package machine

import "time"

// Observation is what a pass saw of one canary before deciding.
type Observation struct {
	// Revision is the hash of the target's pod template and tracked configs
	// as the branch head renders them.
	Revision string
	// TrackedConfigs are the content hashes of the configs in Revision.
	TrackedConfigs map[string]string
	// Head is the commit the decision is based on.
	Head string
	// Now is the time of the decision.
	Now time.Time
	// NoRouter is set for a provider without a router (kubernetes): the
	// apex Service always selects the primary, the canary is tested through
	// its own Service, and a release is blue/green.
	NoRouter bool
	// Request is the oldest pending manual request (`gitcanary promote|
	// abort|pause|resume`), or nil.
	Request *Request
	// Primary is the name the primary renders as (the app's nameSuffix
	// comes last: podinfo-primary-v1); empty is <target>-primary.
	Primary string
	// Deleted is set when the Canary document is gone from the repository
	// while its generated folder remains; the canary is then its last
	// known spec.
	Deleted bool

	// The answers to what a Decision needed; nil until asked for.

	// Providers is the metric providers' availability, asked when a canary
	// is initialized (NeedProviders).
	Providers *Providers
	// Gate is what the sync gate says of the canary's last commit
	// (NeedGate).
	Gate *Gate
	// PR is the pull request of the approval gate the canary waits at
	// (NeedPR).
	PR *PRState
	// Metrics are this tick's metric checks (NeedMetrics).
	Metrics *Metrics
	// Hooks are the outcomes of the webhooks run on this tick, by type
	// (NeedHooks); a type not run yet is missing.
	Hooks map[string]HookOutcome
}

// Request is a manual request committed next to the canary.
type Request struct {
	Action string // promote, abort, pause or resume
	By     string // who asked: "Name <email>"
}

// Providers is the outcome of the metric providers' availability check.
type Providers struct {
	// Unchecked is set when the caller has no way to check them: nothing
	// is recorded.
	Unchecked bool
	// Err is empty when every provider answered.
	Err string
}

// Gate is the state of a canary's sync gate: whether the cluster has
// applied the canary's last commit.
type Gate struct {
	Open   bool
	Failed bool      // the GitOps agent reported a failure applying it
	Since  time.Time // when it opened
	Detail string    // what said so, e.g. "kustomization/apps/3f2a1b4c: reconciliation succeeded"
}

// PRState is what the Git host says of a gate's pull request.
type PRState struct {
	// Number is 0 when there is no pull request for the gate's branch yet.
	Number   int
	Open     bool
	Merged   bool
	Approved bool
	URL      string
	HeadSHA  string
}

// Metrics is one measurement of the canary's metric checks. An empty
// Checks is a measurement too: the canary has no metrics.
type Metrics struct {
	Checks []Check
}

// Check is the outcome of one metric check.
type Check struct {
	Metric  string
	Passed  bool
	Halt    string // the Flagger event text when the check failed
	Summary string // one line for the commit body
	// Value is the measured value when HasValue; the machine does not use
	// it (the caller records it, as Flagger's canary_metric_analysis).
	Value    float64
	HasValue bool
}

// HookOutcome is the outcome of running all the canary's webhooks of one
// type.
type HookOutcome struct {
	// Passed is true when the rollout may go on: every hook succeeded (also
	// when there is none), or for rollback hooks, none asked for a rollback.
	Passed bool
	// Halt is Flagger's event text for why it may not, empty when Passed.
	Halt string
	// Texts are the events of the hooks that passed ("Pre-rollout check
	// smoke passed"), recorded after the first event of a transition.
	Texts []string
}
