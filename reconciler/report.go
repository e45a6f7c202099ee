package reconciler

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
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
	// Conflict says why gitcanary refuses the canary: another one has its
	// namespace and name, or its generated folder (see api.Conflicts).
	Conflict string `json:"conflict,omitempty"`
}

// ListCanaries reads every canary of the commit and its status.yaml, without
// rendering anything. A canary never reconciled has an empty phase. The
// errors are those of bad documents, bad status files (checked as of now)
// and conflicting canaries, which are listed with their Conflict set.
func ListCanaries(snap *gitops.Snapshot, provider string, now time.Time) ([]CanaryInfo, []error) {
	canaries, _, errs := newScanner("", provider).scan(snap)
	_, conflicts := api.Conflicts(canaries)
	conflict := map[api.Source]string{}
	for _, err := range conflicts {
		var fe *api.FieldError
		if errors.As(err, &fe) {
			conflict[fe.Source] = fe.Msg
		}
	}
	errs = append(errs, conflicts...)
	out := make([]CanaryInfo, 0, len(canaries))
	for _, c := range canaries {
		info := CanaryInfo{Canary: c, Namespace: c.Metadata.Namespace, Name: c.Metadata.Name, Path: c.Source.Path, Conflict: conflict[c.Source]}
		p := path.Join(componentDir(c), StatusFile)
		if data, err := snap.ReadFile(p); err == nil {
			st, err := api.UnmarshalStatus(p, data, now)
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
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Path < out[j].Path
	})
	return out, errs
}

// FindCanary returns the canary named name among infos, in namespace when
// it is not empty. A name in several namespaces needs the namespace; a
// canary in conflict with another is an error saying so.
func FindCanary(infos []CanaryInfo, namespace, name string) (CanaryInfo, error) {
	var found []CanaryInfo
	for _, c := range infos {
		if c.Name == name && (namespace == "" || c.Namespace == namespace) {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		if namespace != "" {
			return CanaryInfo{}, fmt.Errorf("canary %s not found in namespace %s", name, namespace)
		}
		return CanaryInfo{}, fmt.Errorf("canary %s not found", name)
	}
	var ns []string
	for _, c := range found {
		if !slices.Contains(ns, c.Namespace) {
			ns = append(ns, c.Namespace)
		}
	}
	if len(ns) > 1 {
		return CanaryInfo{}, fmt.Errorf("canary %s exists in namespaces %s: set -n", name, strings.Join(ns, ", "))
	}
	for _, c := range found {
		if c.Conflict != "" {
			return c, fmt.Errorf("canary %s/%s (%s): %s", c.Namespace, c.Name, c.Canary.Source, c.Conflict)
		}
	}
	return found[0], nil
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
	Revision     string       `json:"revision"`
	Started      time.Time    `json:"started"`
	Duration     api.Duration `json:"duration"`
	Outcome      api.Phase    `json:"outcome"`
	FailedChecks int          `json:"failedChecks"`
	FirstSHA     string       `json:"firstSHA"`
	LastSHA      string       `json:"lastSHA"`
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
		cur.Duration = api.Duration{Duration: e.Time.Sub(cur.Started)}
		cur.FailedChecks = max(cur.FailedChecks, e.Failed)
	}
	return out
}
