package machine

import (
	"slices"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// A rule is one row of the machine. In the phases it names, its step either
// decides the tick (ok) or lets the next row try; a step that lets the
// next row try may leave body lines for the commit that row makes.
type rule struct {
	name   string
	phases []api.Phase
	step   func(*tick) (Decision, bool)
}

// Sets of phases the rules apply to.
var (
	uninitialized = []api.Phase{""}
	initialized   = []api.Phase{api.PhaseInitialized, api.PhaseWaiting, api.PhaseProgressing, api.PhaseWaitingPromotion,
		api.PhasePromoting, api.PhaseFinalising, api.PhaseSucceeded, api.PhaseFailed}
	idle      = []api.Phase{api.PhaseInitialized, api.PhaseSucceeded, api.PhaseFailed}
	active    = []api.Phase{api.PhaseWaiting, api.PhaseProgressing, api.PhaseWaitingPromotion, api.PhasePromoting, api.PhaseFinalising}
	gated     = []api.Phase{api.PhaseWaiting, api.PhaseWaitingPromotion}
	analysing = []api.Phase{api.PhaseProgressing, api.PhaseWaitingPromotion}
	applying  = []api.Phase{api.PhaseProgressing, api.PhaseWaitingPromotion, api.PhasePromoting, api.PhaseFinalising}
	every     = append(slices.Clone(uninitialized), initialized...)
	// existing are the phases of a canary whose Canary document may be
	// deleted: every initialized one, and Terminating (a status left
	// between the two steps of Flagger's finalizer).
	existing = append(slices.Clone(initialized), api.PhaseTerminating)
)

// rules is the machine, in the order of Flagger's advanceCanary
// (pkg/controller/scheduler.go). The first row whose step decides wins; a
// tick no row decides waits.
var rules = []rule{
	// Flagger's finalizer runs on deletion before anything else, even for
	// a suspended canary: Terminating, then Terminated, in one commit.
	{"deleted: terminate", existing, (*tick).terminate},
	// Flagger returns before doing anything for a suspended canary, even
	// before initializing it.
	{"suspended", every, (*tick).suspended},
	// The primary, Services and router at 100/0, and the metric providers'
	// availability (checkMetricProviderAvailability).
	{"initialize", uninitialized, (*tick).initialize},
	// gitcanary's own: manual requests committed next to the canary,
	// honoured before anything else, and pause.
	{"manual request", initialized, (*tick).request},
	{"paused", initialized, (*tick).paused},
	// gitcanary's own: a canary at a pull-request approval gate.
	{"approval pull request", gated, (*tick).approval},
	// shouldAdvance + checkCanaryStatus: a new revision starts a rollout
	// once the confirm-rollout hooks (and the rollout approval) let it.
	{"new revision", idle, (*tick).newRevision},
	{"not due", active, (*tick).notDue},
	{"confirm rollout", []api.Phase{api.PhaseWaiting}, (*tick).confirmWaiting},
	// hasCanaryRevisionChanged: Progressing and WaitingPromotion only.
	{"restart on a new revision", analysing, (*tick).restart},
	// shouldSkipAnalysis comes before the rollback hooks and the threshold.
	{"skip analysis", analysing, (*tick).skipAnalysis},
	{"rollback hooks", analysing, (*tick).rollbackHooks},
	// The threshold is checked at the start of a tick, so the rollback
	// lands on the tick after the failure that reached it. Neither it nor
	// a restart waits for the sync gate.
	{"threshold: roll back", analysing, (*tick).threshold},
	// gitcanary's readiness check (Flagger's IsPrimaryReady/IsCanaryReady):
	// the sync gate waits for the cluster to apply the last commit.
	{"sync gate", applying, (*tick).syncGate},
	{"promote: route traffic to the primary", []api.Phase{api.PhasePromoting}, (*tick).promoting},
	{"complete the promotion", []api.Phase{api.PhaseFinalising}, (*tick).finalising},
	// Pre-rollout hooks when no traffic reaches the canary yet, else
	// rollout hooks and metric checks; a failure is a failed check.
	{"analysis", analysing, (*tick).analysis},
	// The strategy's next step, in Flagger's order. runAB: the next
	// iteration, or after the last one the promotion gate
	// (confirm-promotion, the promotion approval) and "Copying … template
	// spec".
	{"advance: A/B testing", analysing, (*tick).advanceAB},
	// runBlueGreen: the next iteration (mirroring from the first), or after
	// the last one the promotion gate and "Routing all traffic to canary",
	// then "Copying … template spec".
	{"advance: blue/green", analysing, (*tick).advanceBlueGreen},
	// runCanary: confirm-traffic-increase, the mirror step, the next
	// weight, or at the maximum weight the promotion gate and "Copying …
	// template spec".
	{"advance: canary", analysing, (*tick).advance},
}

// Decide is gitcanary's state machine: given a canary, its status and what
// was observed, it returns the next status and the events of the
// transition, what to observe first, or why it waits. It does no I/O; the
// zero status means the canary was never initialized.
func Decide(c *api.Canary, st api.Status, obs Observation) Decision {
	t := &tick{c: c, st: st, obs: obs}
	for _, r := range rules {
		if !slices.Contains(r.phases, st.Phase) {
			continue
		}
		if d, ok := r.step(t); ok {
			return d
		}
	}
	if !slices.Contains(every, st.Phase) {
		return t.wait("phase " + string(st.Phase) + " is not one gitcanary acts on")
	}
	return t.wait("nothing to do")
}
