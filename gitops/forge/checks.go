package forge

import (
	"context"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Check states, in increasing order of precedence when several statuses or
// check runs match.
const (
	CheckPending = "pending"
	CheckSuccess = "success"
	CheckFailure = "failure"
)

// CheckState is the verdict of the commit statuses and check runs that match
// a context prefix on one commit.
type CheckState struct {
	// State is CheckPending, CheckSuccess or CheckFailure: failure if any
	// match failed, else pending if any is not done yet, else success.
	// Pending when nothing matched.
	State string
	// Context is the status context or check run name that decided State.
	Context string
	// Description is that status's description or check run's output title.
	Description string
	// Found reports whether any status or check run matched.
	Found bool
	// At is when the deciding status was set or check run completed; for
	// success, the latest of the matching ones: when the gate opened.
	At time.Time
}

// CommitChecks reports the commit statuses (the combined status API, where
// Flux notification-controller and Argo CD Notifications write) and check
// runs on sha whose context or name matches contextPrefix. The prefix matches
// whole path segments: "kustomization/apps" matches "kustomization/apps" and
// "kustomization/apps/3f2a1b4c" but not "kustomization/apps-backend/…"; a
// prefix ending in "/" matches anything below it.
//
// Status states error and failure count as failure; check runs count as
// pending until completed, then as success for the conclusions success,
// neutral and skipped and as failure for any other.
func (g *GitHub) CommitChecks(ctx context.Context, sha, contextPrefix string) (CheckState, error) {
	op := "commit checks " + shortSHA(sha) + " " + contextPrefix
	agg := aggregate{state: CheckState{State: CheckPending}}
	opts := &github.ListOptions{PerPage: 100}
	for {
		var cs *github.CombinedStatus
		var resp *github.Response
		err := g.do(ctx, op+": statuses", func(ctx context.Context) error {
			var err error
			cs, resp, err = g.client.Repositories.GetCombinedStatus(ctx, g.owner, g.name, sha, opts)
			return err
		})
		if err != nil {
			return CheckState{}, err
		}
		for _, s := range cs.Statuses {
			if matchContext(s.GetContext(), contextPrefix) {
				agg.add(statusState(s.GetState()), s.GetContext(), s.GetDescription(), s.GetUpdatedAt().Time)
			}
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	copts := &github.ListCheckRunsOptions{Filter: github.String("latest"), ListOptions: github.ListOptions{PerPage: 100}}
	for {
		var res *github.ListCheckRunsResults
		var resp *github.Response
		err := g.do(ctx, op+": check runs", func(ctx context.Context) error {
			var err error
			res, resp, err = g.client.Checks.ListCheckRunsForRef(ctx, g.owner, g.name, sha, copts)
			return err
		})
		if err != nil {
			return CheckState{}, err
		}
		for _, r := range res.CheckRuns {
			if matchContext(r.GetName(), contextPrefix) {
				agg.add(checkRunState(r.GetStatus(), r.GetConclusion()), r.GetName(), r.GetOutput().GetTitle(), r.GetCompletedAt().Time)
			}
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
		copts.Page = resp.NextPage
	}
	return agg.state, nil
}

// aggregate keeps the matching status or check run of highest precedence.
type aggregate struct{ state CheckState }

func (a *aggregate) add(state, context, description string, at time.Time) {
	if a.state.Found && rank(state) < rank(a.state.State) {
		return
	}
	if a.state.Found && rank(state) == rank(a.state.State) {
		if state == CheckSuccess && at.After(a.state.At) {
			a.state.At = at
		}
		return
	}
	a.state = CheckState{State: state, Context: context, Description: description, Found: true, At: at}
}

func rank(state string) int {
	switch state {
	case CheckFailure:
		return 2
	case CheckPending:
		return 1
	}
	return 0
}

// matchContext reports whether context is prefix or lies below it.
func matchContext(context, prefix string) bool {
	if prefix == "" {
		return false
	}
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(context, prefix)
	}
	return context == prefix || strings.HasPrefix(context, prefix+"/")
}

func statusState(s string) string {
	switch s {
	case "success":
		return CheckSuccess
	case "error", "failure":
		return CheckFailure
	}
	return CheckPending
}

func checkRunState(status, conclusion string) string {
	if status != "completed" {
		return CheckPending
	}
	switch conclusion {
	case "success", "neutral", "skipped":
		return CheckSuccess
	}
	return CheckFailure
}

func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
