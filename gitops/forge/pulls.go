package forge

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Pull request states as GitHub reports them.
const (
	StateOpen   = "open"
	StateClosed = "closed"
)

// PR is a pull request as the reconciler needs it.
type PR struct {
	Number int
	// State is StateOpen or StateClosed; a merged PR is closed and Merged.
	State  string
	Merged bool
	// MergeCommitSHA is the commit the merge made on the base branch; empty
	// unless Merged.
	MergeCommitSHA string
	HeadRef        string
	HeadSHA        string
	BaseRef        string
	Title          string
	Body           string
	// URL is the web page of the pull request.
	URL string
	// Approved: the latest review of at least one reviewer approves and no
	// reviewer's latest review requests changes. Only [GitHub.GetPullRequest]
	// fills it in, and only for open pull requests.
	Approved bool
}

// Open reports whether the pull request is still open.
func (p PR) Open() bool { return p.State == StateOpen }

// findMaxPages bounds the listing done by FindPullRequests.
const findMaxPages = 10

// GetPullRequest returns pull request number, with Approved computed from its
// reviews while it is open.
func (g *GitHub) GetPullRequest(ctx context.Context, number int) (PR, error) {
	op := fmt.Sprintf("get pull request #%d", number)
	var pr *github.PullRequest
	err := g.do(ctx, op, func(ctx context.Context) error {
		var err error
		pr, _, err = g.client.PullRequests.Get(ctx, g.owner, g.name, number)
		return err
	})
	if err != nil {
		return PR{}, err
	}
	out := toPR(pr)
	if out.Open() {
		reviews, err := g.listReviews(ctx, number)
		if err != nil {
			return PR{}, err
		}
		out.Approved = approved(reviews)
	}
	return out, nil
}

// FindPullRequests returns the pull requests, open or closed, whose head is a
// branch of this repository starting with headPrefix (for example
// "gitcanary/test/podinfo/"), most recently updated first. Pull requests from
// forks are ignored. Only the 1000 most recently updated pull requests of the
// repository are searched.
func (g *GitHub) FindPullRequests(ctx context.Context, headPrefix string) ([]PR, error) {
	var out []PR
	opts := &github.PullRequestListOptions{
		State: "all", Sort: "updated", Direction: "desc",
		ListOptions: github.ListOptions{PerPage: 100},
	}
	for page := 0; page < findMaxPages; page++ {
		var prs []*github.PullRequest
		var resp *github.Response
		err := g.do(ctx, "find pull requests "+headPrefix, func(ctx context.Context) error {
			var err error
			prs, resp, err = g.client.PullRequests.List(ctx, g.owner, g.name, opts)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, pr := range prs {
			if strings.HasPrefix(pr.GetHead().GetRef(), headPrefix) && g.ownHead(pr) {
				out = append(out, toPR(pr))
			}
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}

// ownHead reports whether the head branch of pr lives in this repository, so
// a fork cannot pose as one of gitcanary's gates.
func (g *GitHub) ownHead(pr *github.PullRequest) bool {
	if repo := pr.GetHead().GetRepo(); repo != nil {
		return strings.EqualFold(repo.GetFullName(), g.Repo())
	}
	// The head repository was deleted: only the owner's own branch counts.
	return strings.EqualFold(pr.GetHead().GetUser().GetLogin(), g.owner)
}

// Comment adds a comment to pull request number.
func (g *GitHub) Comment(ctx context.Context, number int, body string) error {
	return g.do(ctx, fmt.Sprintf("comment on pull request #%d", number), func(ctx context.Context) error {
		_, _, err := g.client.Issues.CreateComment(ctx, g.owner, g.name, number, &github.IssueComment{Body: github.String(body)})
		return err
	})
}

// ClosePullRequest closes pull request number without merging it, after
// posting comment (unless empty) so the reason shows up above the close
// event. Closing a closed pull request is not an error.
func (g *GitHub) ClosePullRequest(ctx context.Context, number int, comment string) error {
	if comment != "" {
		if err := g.Comment(ctx, number, comment); err != nil {
			return err
		}
	}
	return g.do(ctx, fmt.Sprintf("close pull request #%d", number), func(ctx context.Context) error {
		_, _, err := g.client.PullRequests.Edit(ctx, g.owner, g.name, number, &github.PullRequest{State: github.String(StateClosed)})
		return err
	})
}

func toPR(pr *github.PullRequest) PR {
	out := PR{
		Number:  pr.GetNumber(),
		State:   pr.GetState(),
		Merged:  pr.GetMerged() || pr.MergedAt != nil,
		HeadRef: pr.GetHead().GetRef(),
		HeadSHA: pr.GetHead().GetSHA(),
		BaseRef: pr.GetBase().GetRef(),
		Title:   pr.GetTitle(),
		Body:    pr.GetBody(),
		URL:     pr.GetHTMLURL(),
	}
	if out.Merged {
		out.MergeCommitSHA = pr.GetMergeCommitSHA()
	}
	return out
}
