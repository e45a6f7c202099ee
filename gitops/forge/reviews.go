package forge

import (
	"context"
	"fmt"
	"sort"

	"github.com/google/go-github/v60/github"
)

// Review states that change a reviewer's verdict; COMMENTED and PENDING do
// not.
const (
	reviewApproved         = "APPROVED"
	reviewChangesRequested = "CHANGES_REQUESTED"
	reviewDismissed        = "DISMISSED"
)

// listReviews returns every review of pull request number, oldest first.
func (g *GitHub) listReviews(ctx context.Context, number int) ([]*github.PullRequestReview, error) {
	var all []*github.PullRequestReview
	opts := &github.ListOptions{PerPage: 100}
	for {
		var page []*github.PullRequestReview
		var resp *github.Response
		err := g.do(ctx, fmt.Sprintf("list reviews of pull request #%d", number), func(ctx context.Context) error {
			var err error
			page, resp, err = g.client.PullRequests.ListReviews(ctx, g.owner, g.name, number, opts)
			return err
		})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if resp == nil || resp.NextPage == 0 {
			return all, nil
		}
		opts.Page = resp.NextPage
	}
}

// approved applies GitHub's rule: each reviewer's latest approving,
// change-requesting or dismissed review is their verdict; the pull request is
// approved when at least one verdict approves and none requests changes.
func approved(reviews []*github.PullRequestReview) bool {
	sorted := append([]*github.PullRequestReview(nil), reviews...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].SubmittedAt, sorted[j].SubmittedAt
		return a != nil && b != nil && a.Before(b.Time)
	})
	verdict := map[string]string{}
	for _, r := range sorted {
		switch st := r.GetState(); st {
		case reviewApproved, reviewChangesRequested, reviewDismissed:
			verdict[r.GetUser().GetLogin()] = st
		}
	}
	approvals := 0
	for _, st := range verdict {
		switch st {
		case reviewChangesRequested:
			return false
		case reviewApproved:
			approvals++
		}
	}
	return approvals > 0
}
