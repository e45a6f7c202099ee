package reconciler

import (
	"context"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// CanaryInfo is a canary and its status as a commit holds them: what
// `gitcanary get canaries` lists.
type CanaryInfo struct {
	Canary    *api.Canary `json:"-"`
	Namespace string      `json:"namespace"`
	Name      string      `json:"name"`
	Path      string      `json:"path"`
	Status    api.Status  `json:"status"`
}

// ListCanaries reads every canary of the commit and its status.yaml, without
// rendering anything. A canary never reconciled has an empty phase.
func ListCanaries(snap *gitops.Snapshot, provider string) ([]CanaryInfo, []error) {
	canaries, _, errs := newScanner("", provider).scan(snap)
	out := make([]CanaryInfo, 0, len(canaries))
	for _, c := range canaries {
		info := CanaryInfo{Canary: c, Namespace: c.Metadata.Namespace, Name: c.Metadata.Name, Path: c.Source.Path}
		p := path.Join(componentDir(c), StatusFile)
		if data, err := snap.ReadFile(p); err == nil {
			st, err := api.UnmarshalStatus(p, data)
			if err != nil {
				errs = append(errs, err)
			}
			info.Status = st
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out, errs
}

// Transition is one of a canary's commits: a transition of its rollout.
type Transition struct {
	SHA      string    `json:"sha"`
	Time     time.Time `json:"time"`
	Message  string    `json:"message"`
	Body     string    `json:"body,omitempty"`
	Phase    api.Phase `json:"phase"`
	Weight   int       `json:"weight"`
	Revision string    `json:"revision"`
	Failed   int       `json:"failedChecks"`
	Author   string    `json:"author"`
}

// Events returns the commits of canary id ("namespace/name") on the first-
// parent history from head, oldest first. It reads commit messages only
// (trailers), so it is fast on long histories.
func Events(ctx context.Context, repo *gitops.Repo, head plumbing.Hash, id string) ([]Transition, error) {
	return events(ctx, repo, head, id, false)
}

// rolloutEvents is Events for the current rollout only: the walk stops at
// its "New revision detected! Scaling up" commit, so a pass that refreshes
// an approval pull request does not read the whole history.
func rolloutEvents(ctx context.Context, repo *gitops.Repo, head plumbing.Hash, id string) ([]Transition, error) {
	return events(ctx, repo, head, id, true)
}

func events(ctx context.Context, repo *gitops.Repo, head plumbing.Hash, id string, rollout bool) ([]Transition, error) {
	out := []Transition{}
	err := repo.Log(ctx, head, func(c *object.Commit) error {
		// A merged approval pull request brings gitcanary's proposed
		// transition in as the merge's second parent.
		if len(c.ParentHashes) > 1 {
			if p, err := repo.CommitObject(c.ParentHashes[1]); err == nil {
				if e, ok := transitionOf(p, id); ok {
					out = append(out, e)
				}
			}
		}
		if e, ok := transitionOf(c, id); ok {
			out = append(out, e)
			if rollout && strings.HasPrefix(e.Message, "New revision detected! Scaling up") {
				return gitops.ErrStopLog
			}
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// transitionOf reads a commit as a transition of canary id, if it is one.
func transitionOf(c *object.Commit, id string) (Transition, bool) {
	if !strings.Contains(c.Message, TrailerCanary+": "+id) {
		return Transition{}, false
	}
	subject, body, trailers := gitops.ParseMessage(c.Message)
	e := Transition{SHA: c.Hash.String(), Time: c.Author.When.UTC(), Message: subject, Body: body, Author: c.Author.Name}
	match := false
	for _, t := range trailers {
		switch t.Key {
		case TrailerCanary:
			match = t.Value == id
		case TrailerPhase:
			e.Phase = api.Phase(t.Value)
		case TrailerWeight:
			e.Weight, _ = strconv.Atoi(t.Value)
		case TrailerRevision:
			e.Revision = t.Value
		case TrailerFailedChecks:
			e.Failed, _ = strconv.Atoi(t.Value)
		}
	}
	return e, match
}

// Rollout is one run of the analysis, from the new revision to its outcome.
type Rollout struct {
	Revision     string        `json:"revision"`
	Started      time.Time     `json:"started"`
	Duration     time.Duration `json:"duration"`
	Outcome      api.Phase     `json:"outcome"`
	FailedChecks int           `json:"failedChecks"`
	FirstSHA     string        `json:"firstSHA"`
	LastSHA      string        `json:"lastSHA"`
}

// Rollouts groups a canary's transitions (oldest first) into rollouts: each
// starts at "New revision detected! Scaling up" and ends at Succeeded or
// Failed; a restart on a newer revision stays in the same rollout, and one
// still running has its current phase as the outcome.
func Rollouts(events []Transition) []Rollout {
	out := []Rollout{}
	for _, e := range events {
		if strings.HasPrefix(e.Message, "New revision detected! Scaling up") {
			out = append(out, Rollout{Started: e.Time, FirstSHA: e.SHA})
		}
		if len(out) == 0 {
			continue // initialization
		}
		cur := &out[len(out)-1]
		cur.Revision = e.Revision
		cur.Outcome = e.Phase
		cur.LastSHA = e.SHA
		cur.Duration = e.Time.Sub(cur.Started)
		cur.FailedChecks = max(cur.FailedChecks, e.Failed)
	}
	return out
}
