package reconciler

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/gitops/forge"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/machine"
	"github.com/gitcanary/gitcanary/templates"
)

// pendingProposal is a pull-request action decided in a pass, carried out
// after the pass's push (the pull request's base must exist first).
type pendingProposal struct {
	canary *api.Canary
	ob     *observed
	// wait is the status the proposal is built on (the waiting one).
	wait     api.Status
	proposal *machine.Proposal
	close    *machine.Proposal
}

// prState looks up the newest pull request of a gate's branch.
func (r *Reconciler) prState(ctx context.Context, c *api.Canary, branch string) (machine.PRState, error) {
	if r.forge == nil {
		return machine.PRState{}, r.needForge(c, "spec.gitops.approval", "a pull request gate")
	}
	prs, err := r.forge.FindPullRequests(ctx, branch)
	if err != nil {
		return machine.PRState{}, err
	}
	for _, pr := range prs { // newest first
		if pr.HeadRef != branch {
			continue
		}
		st := machine.PRState{Number: pr.Number, Open: pr.Open(), Merged: pr.Merged, URL: pr.URL, HeadSHA: pr.HeadSHA}
		if st.Open {
			full, err := r.forge.GetPullRequest(ctx, pr.Number)
			if err != nil {
				return machine.PRState{}, err
			}
			st.Approved, st.HeadSHA = full.Approved, full.HeadSHA
		}
		return st, nil
	}
	return machine.PRState{}, nil
}

// carryOut acts on a pull request after the pass pushed: closes it, merges
// it, or (re)builds the proposed commit on top of base, pushes it to the
// gate's branch when it changed, and opens or updates the pull request.
func (r *Reconciler) carryOut(ctx context.Context, snap *gitops.Snapshot, fsys *gitops.FS, base plumbing.Hash, p pendingProposal) error {
	c := p.canary
	log := r.log.WithValues("canary", c.Key())
	if cl := p.close; cl != nil {
		if err := r.forge.ClosePullRequest(ctx, cl.PR.Number, cl.Comment); err != nil {
			return fmt.Errorf("close pull request #%d: %w", cl.PR.Number, err)
		}
		log.Info(fmt.Sprintf("Closed pull request #%d of the %s gate: %s", cl.PR.Number, cl.Gate, cl.Comment))
	}
	pr := p.proposal
	if pr == nil {
		return nil
	}
	if pr.Merge {
		sha, err := r.forge.Merge(ctx, pr.PR.Number, "merge")
		if err != nil {
			return fmt.Errorf("merge pull request #%d: %w", pr.PR.Number, err)
		}
		log.Info(fmt.Sprintf("Merged approved pull request #%d of the %s gate", pr.PR.Number, pr.Gate), "commit", sha)
		return nil
	}
	next := pr.Next
	changes, err := r.edits(ctx, snap, fsys, c, p.wait, p.ob, &next)
	if err != nil {
		return err
	}
	if err := r.renderCheck(ctx, snap, fsys, c, p.ob, next.Status, changes); err != nil {
		return err
	}
	tip, err := r.repo.Commit(base, changes, commitMessage(c, next), r.opts.Repo.Author, next.Status.LastTransitionTime)
	if err != nil {
		return err
	}
	if pr.PR.Number == 0 || !pr.PR.Open || pr.PR.HeadSHA != tip.String() {
		if err := r.repo.PushProposal(ctx, tip, pr.Branch); err != nil {
			return err
		}
	}
	events, _ := rolloutEvents(ctx, r.repo, base, c.ID())
	got, err := r.forge.EnsurePullRequest(ctx, pr.Branch, r.opts.Repo.Branch, proposalTitle(c, pr, p.ob), proposalBody(c, pr, p.ob, events))
	if err != nil {
		return fmt.Errorf("pull request for %s: %w", pr.Branch, err)
	}
	if got.Number != pr.PR.Number {
		log.Info(fmt.Sprintf("Opened pull request #%d for the %s gate of %s", got.Number, pr.Gate, c.Key()), "url", got.URL)
	}
	return nil
}

// images lists the target's images, for titles.
func images(ob *observed) string {
	return strings.Join(templates.ContainerImages(ob.in.Target), ", ")
}

func proposalTitle(c *api.Canary, p *machine.Proposal, ob *observed) string {
	what := images(ob)
	if what == "" {
		what = "revision " + p.Revision
	}
	if p.Gate == machine.GateRollout {
		return fmt.Sprintf("Start canary %s: %s", c.Key(), what)
	}
	return fmt.Sprintf("Promote %s: %s", c.Key(), what)
}

func proposalBody(c *api.Canary, p *machine.Proposal, ob *observed, events []Transition) string {
	var b strings.Builder
	verb, field := "start the canary analysis of", "rollout"
	if p.Gate == machine.GatePromotion {
		verb, field = "promote", "promotion"
	}
	fmt.Fprintf(&b, "gitcanary proposes to %s `%s` (revision `%s`), as `spec.gitops.approval.%s: pullRequest` in `%s` asks.\n\n",
		verb, c.Key(), p.Revision, field, c.Source.Path)
	b.WriteString("**Merge** this pull request to go on; **close** it to roll back. ")
	if p.Gate == machine.GatePromotion {
		b.WriteString("The analysis keeps running while it is open; a failed check closes it.")
	}
	fmt.Fprintf(&b, "\n\n- Target: %s %s/%s\n- Images: %s\n", c.Spec.TargetRef.Kind, c.Metadata.Namespace, c.Spec.TargetRef.Name, images(ob))
	if rows := analysisRows(events); len(rows) > 0 {
		b.WriteString("\n### Analysis so far\n\n")
		b.WriteString(forge.AnalysisTable(rows))
	}
	return b.String()
}

// analysisRows turns the current rollout's commits into the analysis table:
// one row per step, one cell per metric of the commit body, at the weight
// the metrics were measured at (the one before the commit's step).
func analysisRows(events []Transition) []forge.StepRow {
	start := 0
	for i, e := range events {
		if strings.HasPrefix(e.Message, "New revision detected!") {
			start = i
		}
	}
	var rows []forge.StepRow
	weight := 0 // in effect while a commit's metrics were measured
	for _, e := range events[start:] {
		if e.Request != "" {
			continue // a manual request: no weight
		}
		measuredAt := weight
		weight = e.Weight
		var ms []forge.MetricResult
		for _, m := range ParseAnalysis(e.Body).Metrics {
			if len(m.Bounds) == 0 {
				continue // no value: no data or an error
			}
			passed, threshold := "yes", m.Threshold()
			if !m.Passed {
				passed = "no"
			}
			if m.Detail != "" {
				threshold += "; " + m.Detail
			}
			ms = append(ms, forge.MetricResult{Name: m.Name, Value: m.Text, Threshold: threshold, Passed: passed})
		}
		if len(ms) > 0 {
			rows = append(rows, forge.StepRow{Weight: measuredAt, Time: e.Time, Metrics: ms})
		}
	}
	return rows
}
