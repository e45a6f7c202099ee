package forge

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
)

// EnsurePullRequest returns the pull request from branch head into base:
// the open one, with its title and body updated when they differ; else a
// merged one whose head commit is still the branch's head (that commit's
// gate has passed: nothing is created or changed); else a new one. Calling
// it again, after a restart or from another replica, never opens a second
// one. A pull request closed without merging is not reused, nor is a merged
// one once the branch has moved on, so a revision can be retried after a
// rollback: to treat a close as an abort, check the pull request with
// [GitHub.GetPullRequest] (or [GitHub.FindPullRequests] after a restart)
// before calling EnsurePullRequest again.
func (g *GitHub) EnsurePullRequest(ctx context.Context, head, base, title, body string) (PR, error) {
	if head == "" || base == "" || title == "" {
		return PR{}, errors.New("github: ensure pull request: head, base and title are required")
	}
	op := "ensure pull request " + head
	pr, err := g.findForHead(ctx, op, head, base)
	if err != nil {
		return PR{}, err
	}
	if pr == nil {
		created, err := g.createPR(ctx, op, head, base, title, body)
		if err == nil {
			return toPR(created), nil
		}
		if !alreadyExists(err) {
			return PR{}, err
		}
		// An earlier attempt, whose answer was lost, or another replica
		// created it.
		if pr, _ = g.findForHead(ctx, op, head, base); pr == nil {
			return PR{}, err
		}
	}
	if pr.GetState() != StateOpen || (pr.GetTitle() == title && sameText(pr.GetBody(), body)) {
		return toPR(pr), nil
	}
	var edited *github.PullRequest
	err = g.do(ctx, op+": update", func(ctx context.Context) error {
		var err error
		edited, _, err = g.client.PullRequests.Edit(ctx, g.owner, g.name, pr.GetNumber(),
			&github.PullRequest{Title: github.String(title), Body: github.String(body)})
		return err
	})
	if err != nil {
		return PR{}, err
	}
	return toPR(edited), nil
}

// findForHead returns the open pull request from this repository's branch
// head into base, else the most recent merged one if the branch has not
// moved since (or is gone), else nil.
func (g *GitHub) findForHead(ctx context.Context, op, head, base string) (*github.PullRequest, error) {
	var prs []*github.PullRequest
	err := g.do(ctx, op+": list", func(ctx context.Context) error {
		var err error
		prs, _, err = g.client.PullRequests.List(ctx, g.owner, g.name, &github.PullRequestListOptions{
			State: "all", Head: g.owner + ":" + head, Base: base,
			ListOptions: github.ListOptions{PerPage: 100},
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	var merged *github.PullRequest
	for _, pr := range prs { // newest first
		if pr.GetHead().GetRef() != head || pr.GetBase().GetRef() != base || !g.ownHead(pr) {
			continue
		}
		if pr.GetState() == StateOpen {
			return pr, nil
		}
		if merged == nil && (pr.GetMerged() || pr.MergedAt != nil) {
			merged = pr
		}
	}
	if merged == nil {
		return nil, nil
	}
	sha, err := g.branchHead(ctx, op, head)
	if err != nil {
		return nil, err
	}
	if sha != "" && sha != merged.GetHead().GetSHA() {
		return nil, nil // new commits since the merge: a new gate
	}
	return merged, nil
}

// branchHead returns the commit branch points to, or "" if it does not exist
// (GitHub may delete head branches once merged).
func (g *GitHub) branchHead(ctx context.Context, op, branch string) (string, error) {
	var ref *github.Reference
	err := g.do(ctx, op+": get branch", func(ctx context.Context) error {
		var err error
		ref, _, err = g.client.Git.GetRef(ctx, g.owner, g.name, "heads/"+branch)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return ref.GetObject().GetSHA(), nil
}

func (g *GitHub) createPR(ctx context.Context, op, head, base, title, body string) (*github.PullRequest, error) {
	var pr *github.PullRequest
	err := g.do(ctx, op+": create", func(ctx context.Context) error {
		var err error
		pr, _, err = g.client.PullRequests.Create(ctx, g.owner, g.name, &github.NewPullRequest{
			Title: github.String(title), Head: github.String(head), Base: github.String(base),
			Body: github.String(body), MaintainerCanModify: github.Bool(false),
		})
		return err
	})
	return pr, err
}

// alreadyExists reports GitHub's answer to a second open pull request for the
// same head and base.
func alreadyExists(err error) bool {
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if strings.Contains(e.Message, "already exists") {
			return true
		}
	}
	return strings.Contains(er.Message, "already exists")
}

// sameText compares pull request bodies the way GitHub stores them: line
// endings may come back as CRLF and trailing white space is not kept.
func sameText(a, b string) bool {
	norm := func(s string) string { return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), " \t\n") }
	return norm(a) == norm(b)
}
