package reconciler

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-logr/logr"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/machine"
	"github.com/gitcanary/gitcanary/templates"
)

// maxAttempts bounds how often a pass decides again after a rejected push.
const maxAttempts = 5

// MeasureFunc runs a canary's metric checks. The error reports checks that
// could not be measured (a query that failed, no metrics server): they are
// failed checks all the same, and the pass reports the canary as an error.
type MeasureFunc func(ctx context.Context, c *api.Canary, templates analysis.TemplateLookup, now time.Time) ([]machine.Check, error)

// ProviderCheckFunc checks that a canary's metric providers answer, as
// Flagger does when it initializes a canary.
type ProviderCheckFunc func(ctx context.Context, c *api.Canary, templates analysis.TemplateLookup) error

// Reconciler runs passes over one repository.
type Reconciler struct {
	repo    *gitops.Repo
	opts    Options
	log     logr.Logger
	now     func() time.Time
	measure MeasureFunc
	scanner *scanner
	shardI  uint32
	shardN  uint32
	// idle remembers, per canary, an inputs digest known to need nothing,
	// so an unchanged app is not rendered again.
	idle map[string]string
	// rested remembers, per canary at rest, the status file whose inputs
	// digest matched, so that the next pass with the same status blob
	// need not parse it again.
	rested map[string]restedStatus
	// settled remembers, by status file, the generated folders of deleted
	// canaries that need nothing (no revertOnDeletion) at that status
	// blob: reported once, not looked up on every pass.
	settled map[string]plumbing.Hash
	// renders counts app renders, for tests and benchmarks; aheadUsed the
	// observations the lookahead made that a pass used.
	renders   int
	aheadUsed int
	// ahead observes the canaries ahead of the pass, once it renders;
	// aheadOff turns it off (tests compare passes with and without).
	ahead    *lookahead
	aheadOff bool
	// lookObserve, when set, is how the lookahead observes (tests).
	lookObserve func(context.Context, *gitops.Snapshot, *gitops.FS, *api.Canary) (*observed, error)
	// providers checks a canary's metric providers when it is initialized.
	providers ProviderCheckFunc
	forge     Forge
	// noForge says why there is no forge, when one was asked for.
	noForge error
	querier analysis.Querier
	// hooks calls webhooks; hookRuns holds this pass's outcomes by canary
	// ID and hook type. dispatcher notifies pushed transitions.
	hooks      Webhooks
	hookRuns   map[string]map[string]webhooks.Outcome
	dispatcher Dispatcher
	// health is what /healthz and /readyz report.
	health health
	// metrics records Flagger's and gitcanary's series; nil records none.
	metrics *Metrics
	// kicked asks Loop for a pass before the interval is over (a push
	// webhook); its one slot coalesces a burst.
	kicked chan struct{}
	// statuses are the commit statuses not set yet, by canary ID.
	statuses     map[string]commitStatus
	statusCanary map[string]*api.Canary
}

// New returns a Reconciler over an open repository.
func New(repo *gitops.Repo, opts Options, log logr.Logger, measure MeasureFunc, now func() time.Time, options ...Option) (*Reconciler, error) {
	i, n, err := parseShard(opts.Shard)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	r := &Reconciler{
		repo: repo, opts: opts, log: log, now: now, measure: measure,
		scanner: newScanner(opts.Path, opts.Provider),
		shardI:  i, shardN: n,
		idle:    map[string]string{},
		rested:  map[string]restedStatus{},
		settled: map[string]plumbing.Hash{},
		kicked:  make(chan struct{}, 1),

		statuses:     map[string]commitStatus{},
		statusCanary: map[string]*api.Canary{},
	}
	r.scanner.warn = func(err error) { log.Info("warning: "+err.Error(), "kind", "CanaryField") }
	for _, o := range options {
		o(r)
	}
	if r.hooks == nil {
		r.hooks = webhooks.New(webhooks.WithClock(now))
	}
	return r, nil
}

// PassResult summarises a pass.
type PassResult struct {
	// Head is the branch head the pass started from (after retries).
	Head plumbing.Hash
	// Pushed is the new head when the pass pushed commits.
	Pushed plumbing.Hash
	// Commits is the number of commits pushed.
	Commits int
	// Canaries is the number of canaries of this shard.
	Canaries int
	// Errors are the per-canary and per-document errors; the healthy
	// canaries were still served.
	Errors []error
}

type transition struct {
	canary *api.Canary
	events []machine.Event
	// from is the phase before, status the one after the transition, of
	// revision.
	from     api.Phase
	status   api.Status
	revision string
}

// Pass fetches the branch, decides every canary's next step and pushes all
// resulting commits at once. When the push is rejected because someone else
// pushed, it fetches and decides again from the new head.
func (r *Reconciler) Pass(ctx context.Context) (PassResult, error) {
	checks := map[string]measured{} // measured once per pass, even on retry
	r.hookRuns = map[string]map[string]webhooks.Outcome{}
	for attempt := 1; ; attempt++ {
		res, err := r.attempt(ctx, checks)
		if err == nil || !errors.Is(err, gitops.ErrConflict) {
			return res, err
		}
		if attempt == maxAttempts {
			return res, fmt.Errorf("giving up after %d rejected pushes: %w", attempt, err)
		}
		r.log.Info("push rejected: the branch moved, deciding again", "attempt", attempt)
	}
}

func (r *Reconciler) attempt(ctx context.Context, checks map[string]measured) (PassResult, error) {
	var res PassResult
	began := time.Now()
	head, err := r.repo.Fetch(ctx)
	r.metrics.gitCall("fetch", time.Since(began), err, false)
	if err != nil {
		return res, err
	}
	res.Head = head
	snap, err := r.repo.Snapshot(head)
	if err != nil {
		return res, err
	}
	canaries, tmpls, errs := r.scanner.scan(snap)
	deleted, derrs := r.deletedCanaries(ctx, snap, canaries)
	canaries, conflicts := api.Conflicts(canaries)
	for _, err := range slices.Concat(errs, conflicts, derrs) {
		res.Errors = append(res.Errors, errList(err)...)
	}
	canaries = append(canaries, slices.SortedFunc(maps.Keys(deleted), byID)...)
	fsys := gitops.NewFS(snap)
	tip, pushed := head, head
	var done []transition
	var proposals []pendingProposal
	// flush pushes the commits made since the last push, then logs and
	// notifies their transitions.
	flush := func() error {
		if tip == pushed {
			return nil
		}
		began := time.Now()
		err := r.repo.Push(ctx, tip)
		r.metrics.gitCall("push", time.Since(began), err, errors.Is(err, gitops.ErrConflict))
		if err != nil {
			return err
		}
		res.Pushed, pushed = tip, tip
		for _, t := range done {
			for _, e := range t.events {
				r.log.Info(e.Text, "canary", t.canary.Key())
			}
		}
		r.afterPush(ctx, r.scanner.catalog, done)
		for _, t := range done {
			r.metrics.outcome(t.canary, t.from, t.status.Phase)
		}
		return nil
	}
	// Once the pass renders an app, the lookahead observes the canaries
	// after it that will need one too, while the pass commits.
	lookedAhead := false
	stopAhead := func() {
		r.ahead.close()
		r.ahead = nil
	}
	defer stopAhead()
	for i, c := range canaries {
		if !r.inShard(c) {
			continue
		}
		if r.ahead != nil {
			r.ahead.reach(c)
		}
		res.Canaries++
		log := r.log.WithValues("canary", c.Key())
		del, gone := deleted[c]
		if !gone {
			if err := checkCanary(c, r.scanner.catalog, tmpls); err != nil {
				res.Errors = append(res.Errors, errList(err)...)
				log.Error(err, "invalid canary: not reconciled")
				continue
			}
		}
		rendered := r.renders
		changes, d, err := r.isolated(ctx, log, snap, fsys, c, head, tmpls, checks, del)
		if !lookedAhead && !r.aheadOff && r.renders > rendered {
			lookedAhead = true
			if list := r.lookaheadFor(snap, fsys, canaries[i+1:], deleted); list != nil {
				r.ahead = r.startLookahead(ctx, snap, list)
			}
		}
		if err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("canary %s: %w", c.Key(), err))
			log.Error(err, "reconcile failed")
			continue
		}
		if d.unmeasured != nil {
			res.Errors = append(res.Errors, fmt.Errorf("canary %s: %w", c.Key(), d.unmeasured))
		}
		if d.proposal != nil {
			proposals = append(proposals, *d.proposal)
		}
		if changes == nil {
			continue
		}
		tip, err = r.repo.Commit(tip, changes, commitMessage(c, d.Decision), r.opts.Repo.Author, r.now())
		if err != nil {
			return res, fmt.Errorf("canary %s: commit: %w", c.Key(), err)
		}
		// The next canaries see the commit: a fresh view of it rather than
		// a growing overlay, which every render of the pass would copy.
		if snap, err = r.repo.Snapshot(tip); err != nil {
			return res, fmt.Errorf("canary %s: %w", c.Key(), err)
		}
		fsys = gitops.NewFS(snap)
		done = append(done, transition{canary: c, events: d.Events, from: d.from, status: d.Status, revision: d.Revision})
		res.Commits++
		if r.repo.PendingBytes() > r.opts.maxPushBytes() {
			// A pass that commits for many canaries (the first one of a
			// monorepo) pushes as it goes, so that neither its memory nor
			// one push grows with the repository.
			if err := flush(); err != nil {
				return res, err
			}
			r.reportStatuses(ctx, done)
			done = nil
		}
	}
	stopAhead()
	if err := flush(); err != nil {
		return res, err
	}
	r.reportStatuses(ctx, done)
	r.recordStates(fsys, canaries)
	for _, p := range proposals {
		if err := r.carryOut(ctx, snap, fsys, tip, p); err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("canary %s: %w", p.canary.Key(), err))
			r.log.Error(err, "pull request", "canary", p.canary.Key())
		}
	}
	return res, nil
}

func byID(a, b *api.Canary) int { return strings.Compare(a.ID(), b.ID()) }

func (r *Reconciler) inShard(c *api.Canary) bool {
	if r.shardN <= 1 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(c.ID()))
	return h.Sum32()%r.shardN == r.shardI
}

// restedStatus is a canary's status file at rest (by blob hash) and the
// inputs it records.
type restedStatus struct {
	blob   plumbing.Hash
	paths  []string
	digest string
}

// decided is a Decision with what the pass needs to carry it out.
type decided struct {
	machine.Decision
	from api.Phase // the phase before
	// proposal is a pull-request action to carry out after the push.
	proposal *pendingProposal
	// unmeasured reports metric checks that could not be measured.
	unmeasured error
	// gate is what the sync gate said on this tick, if it was asked.
	gate *machine.Gate
}

// isolated is reconcile (or terminate, for a deleted canary: del has its
// status) for one canary, so that its failure cannot take the pass down: a
// panic (a bug met by some input) becomes that canary's error and the
// other canaries are still served.
func (r *Reconciler) isolated(ctx context.Context, log logr.Logger, snap *gitops.Snapshot, fsys *gitops.FS, c *api.Canary, head plumbing.Hash, tmpls analysis.TemplateLookup, checks map[string]measured, del deletedCanary) (changes map[string][]byte, d decided, err error) {
	defer func() {
		if p := recover(); p != nil {
			changes = nil
			err = fmt.Errorf("internal error, a bug of gitcanary met by this canary's input (please report it): %v\n%s", p, debug.Stack())
		}
	}()
	if del.statusPath != "" {
		return r.terminate(ctx, log, snap, fsys, c, del, head)
	}
	return r.reconcile(ctx, log, snap, fsys, c, head, tmpls, checks)
}

// measured is a canary's metric checks of a pass.
type measured struct {
	checks []machine.Check
	err    error
}

// reconcile decides one canary's next step and returns its file changes, or
// nil changes when there is nothing to commit.
func (r *Reconciler) reconcile(ctx context.Context, log logr.Logger, snap *gitops.Snapshot, fsys *gitops.FS, c *api.Canary, head plumbing.Hash, tmpls analysis.TemplateLookup, checks map[string]measured) (map[string][]byte, decided, error) {
	var d decided
	g, err := r.gate(snap, fsys, c)
	if err != nil {
		return nil, d, err
	}
	if g.rest != nil {
		r.rested[c.ID()] = *g.rest
	}
	if g.skip != "" {
		if g.logged {
			log.V(1).Info(g.skip, g.kv...)
		}
		return nil, d, nil
	}
	st, rq, pending, now := g.st, g.rq, g.pending, g.now
	r.renders++
	ob, err := r.observeAhead(ctx, snap, fsys, c)
	if err != nil {
		return nil, d, err
	}
	obs := machine.Observation{Revision: ob.revision, TrackedConfigs: ob.tracked, Head: head.String(), Now: now, NoRouter: !hasRouter(c), Primary: templates.PrimaryName(ob.in)}
	if st.Phase != "" {
		obs.Request = rq // honoured once the canary is initialized
	}
	began := time.Now()
	if d, err = r.decide(ctx, c, st, head, obs, tmpls, checks); err != nil {
		return nil, d, err
	}
	if st.Phase == api.PhaseProgressing || st.Phase == api.PhaseWaitingPromotion {
		// An analysis tick, as Flagger times them; with its metric values
		// when it measured.
		values := map[string]float64{}
		for _, ch := range checks[c.ID()].checks {
			if ch.HasValue {
				values[ch.Metric] = ch.Value
			}
		}
		r.metrics.analysed(c, time.Since(began), values)
	}
	d.from = st.Phase
	if g := d.gate; d.Commit && g != nil && g.Open {
		log.Info("sync gate open", "gate", g.Detail, "waited", g.Since.Sub(st.LastTransitionTime).Round(time.Millisecond).String())
	}
	if d.Proposal != nil || d.Close != nil {
		d.proposal = &pendingProposal{canary: c, ob: ob, wait: d.Status, proposal: d.Proposal, close: d.Close}
	}
	if !d.Commit {
		log.V(1).Info("waiting", "reason", d.Wait, "since", now.Sub(st.LastTransitionTime).Round(time.Millisecond).String())
		if d.Idle {
			r.idle[c.ID()] = inputsDigest(snap, fsys.Changes(), ob.paths)
		}
		return nil, d, nil
	}
	if startsRollout(st, d.Status) {
		d.Status.Rollout = &api.RolloutRef{Commit: r.triggerCommit(ctx, head, ob.paths).String(), Started: now.UTC().Truncate(time.Millisecond)}
	}
	changes, err := r.edits(ctx, snap, fsys, c, st, ob, &d.Decision)
	if err != nil {
		return nil, d, err
	}
	if rq != nil && obs.Request != nil {
		// The request is honoured: the commit takes it off the queue.
		p, data, err := PopRequest(c, pending)
		if err != nil {
			return nil, d, err
		}
		changes[p] = data
	}
	if err := r.renderCheck(ctx, snap, fsys, c, ob, d.Status, changes); err != nil {
		return nil, d, err
	}
	return changes, d, nil
}

// gated is what reconcile reads of a canary before it renders the app:
// its status, its pending requests (rq the first), and whether there is
// nothing to do on this pass (skip says why; logged when it is worth a
// line). rest is a status at rest to remember.
type gated struct {
	st      api.Status
	rq      *machine.Request
	pending []api.Request
	now     time.Time
	skip    string
	logged  bool
	kv      []any
	rest    *restedStatus
}

// gate decides, from the status file, the request queue and the inputs
// digest alone, whether c needs its app rendered on this pass. It changes
// nothing: the lookahead asks it too, for the canaries ahead.
func (r *Reconciler) gate(snap *gitops.Snapshot, fsys *gitops.FS, c *api.Canary) (gated, error) {
	var g gated
	statusPath := path.Join(componentDir(c), StatusFile)
	pending, err := PendingRequests(fsys, c)
	if err != nil {
		return g, err
	}
	g.pending = pending
	if len(pending) > 0 {
		g.rq = &machine.Request{Action: pending[0].Action, By: pending[0].RequestedBy}
	}
	statusBlob, _ := snap.BlobHash(statusPath)
	if m, ok := r.rested[c.ID()]; ok && g.rq == nil && m.blob == statusBlob && len(fsys.Changes()) == 0 {
		// The same status at rest as when its inputs last matched: only
		// the inputs can have changed.
		digest := inputsDigest(snap, nil, m.paths)
		if digest == m.digest || r.idle[c.ID()] == digest {
			g.skip = "at rest"
			return g, nil
		}
	}
	if data, err := fsys.ReadFile(statusPath); err == nil {
		if g.st, err = api.UnmarshalStatus(statusPath, data, r.now()); err != nil {
			return g, err
		}
	}
	g.now = r.now()
	if g.st.Phase == "" || g.rq != nil {
		return g, nil
	}
	switch st := g.st; {
	case c.Spec.Suspend:
		g.skip, g.logged = "canary is suspended", true
	case st.Phase.Active():
		if due := st.LastTransitionTime.Add(c.Spec.Analysis.Interval.Duration); g.now.Before(due) {
			g.skip, g.logged = "next step not due yet", true
			g.kv = []any{"in", due.Sub(g.now).Round(time.Millisecond).String()}
		}
	case st.Inputs != nil:
		digest := inputsDigest(snap, fsys.Changes(), st.Inputs.Paths)
		if digest == st.Inputs.Digest || r.idle[c.ID()] == digest {
			g.skip = "at rest"
			g.rest = &restedStatus{blob: statusBlob, paths: st.Inputs.Paths, digest: st.Inputs.Digest}
		}
	}
	return g, nil
}

// observe renders the app of c without the canary's component (see
// observe), with the app's Flux post-build substitution.
func (r *Reconciler) observe(ctx context.Context, snap *gitops.Snapshot, fsys *gitops.FS, c *api.Canary) (*observed, error) {
	pb, err := postBuildFor(r.scanner.flux, c.Source.AppDir)
	if err != nil {
		return nil, err
	}
	return observe(ctx, snap, fsys, c, pb, r.scanner.sources)
}

// decide runs the state machine on one tick, making each observation it
// needs (once: a retry after a rejected push reuses the metrics and the
// hooks' outcomes). The machine asks for each answer at most once; a
// decision that still needs one after machine.MaxRounds is a bug reported
// as an error, never a loop.
func (r *Reconciler) decide(ctx context.Context, c *api.Canary, st api.Status, head plumbing.Hash, obs machine.Observation, tmpls analysis.TemplateLookup, checks map[string]measured) (decided, error) {
	var out decided
	for round := 0; ; round++ {
		d := machine.Decide(c, st, obs)
		out.Decision = d
		if d.Need == machine.NeedNothing {
			return out, nil
		}
		if round == machine.MaxRounds {
			return out, fmt.Errorf("the state machine still needs %s after %d rounds", d.Need, round)
		}
		again := fmt.Errorf("the state machine asked for %s twice", d.Need)
		switch d.Need {
		case machine.NeedProviders:
			if obs.Providers != nil {
				return out, again
			}
			obs.Providers = &machine.Providers{Unchecked: r.providers == nil}
			if r.providers != nil {
				if err := r.providers(ctx, c, tmpls); err != nil {
					obs.Providers.Err = err.Error()
				}
			}
		case machine.NeedPR:
			if obs.PR != nil {
				return out, again
			}
			pr, err := r.prState(ctx, c, st.Approval.Branch)
			if err != nil {
				return out, err
			}
			obs.PR = &pr
		case machine.NeedGate:
			if obs.Gate != nil {
				return out, again
			}
			g, err := r.syncGate(ctx, c, st, head, obs.Now)
			if err != nil {
				return out, err
			}
			obs.Gate = &g
			out.gate = &g
		case machine.NeedMetrics:
			if obs.Metrics != nil {
				return out, again
			}
			m, ok := checks[c.ID()]
			if !ok {
				m.checks, m.err = r.measure(ctx, c, tmpls, obs.Now)
				if ctx.Err() != nil {
					// Cut short (shutdown): not a verdict on the canary.
					return out, fmt.Errorf("measuring: %w", context.Cause(ctx))
				}
				checks[c.ID()] = m
			}
			obs.Metrics = &machine.Metrics{Checks: m.checks}
			out.unmeasured = m.err
		case machine.NeedHooks:
			if _, ok := obs.Hooks[d.Hook]; ok {
				return out, again
			}
			if err := r.runHooks(ctx, c, st, &obs, d.Hook); err != nil {
				return out, err
			}
		default:
			return out, fmt.Errorf("the state machine needs %s, which gitcanary cannot observe", d.Need)
		}
		if ctx.Err() != nil {
			// Cut short (shutdown): what was observed is no verdict.
			return out, fmt.Errorf("observing %s: %w", d.Need, context.Cause(ctx))
		}
	}
}

// renderCheck renders the app as the commit would leave it and checks the
// result; a commit that does not pass is never pushed.
func (r *Reconciler) renderCheck(ctx context.Context, snap *gitops.Snapshot, fsys *gitops.FS, c *api.Canary, ob *observed, st api.Status, changes map[string][]byte) error {
	objs, err := renderAfter(ctx, snap, fsys, c, ob, changes)
	if err != nil {
		return err
	}
	if err := verifyRender(objs, ob.in, st); err != nil {
		return fmt.Errorf("render check of %s: %w", c.Source.AppDir, err)
	}
	if err := checkPrimaryImages(fork(snap, fsys, changes), c, ob.in, objs); err != nil {
		return fmt.Errorf("render check of %s: %w", c.Source.AppDir, err)
	}
	return nil
}

// renderAfter renders the app as a commit with changes would leave it, as
// Flux applies it: kustomize, post-build substitution, and what
// helm-controller installs of the app's HelmReleases.
func renderAfter(ctx context.Context, snap *gitops.Snapshot, fsys *gitops.FS, c *api.Canary, ob *observed, changes map[string][]byte) ([]*yaml.RNode, error) {
	after := fork(snap, fsys, changes)
	built, err := gitops.Render(after, c.Source.AppDir)
	if err != nil {
		return nil, fmt.Errorf("render check: %w", err)
	}
	objs, err := ob.pb.apply(built)
	if err == nil {
		objs, err = expandReleases(ctx, helmEnv(after, objs, ob.sources), objs)
	}
	if err != nil {
		return nil, fmt.Errorf("render check: %w", err)
	}
	return objs, nil
}

// recordStates records each canary's status as the pass leaves it, and
// the number of canaries per namespace.
func (r *Reconciler) recordStates(fsys *gitops.FS, canaries []*api.Canary) {
	if r.metrics == nil {
		return
	}
	total := map[string]int{}
	for _, c := range canaries {
		if !r.inShard(c) {
			continue
		}
		total[c.Metadata.Namespace]++
		p := path.Join(componentDir(c), StatusFile)
		data, err := fsys.ReadFile(p)
		if err != nil {
			continue
		}
		if st, err := api.UnmarshalStatus(p, data, r.now()); err == nil {
			r.metrics.canaryState(c, st)
		}
	}
	r.metrics.canaryTotals(total)
}
