package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-github/v60/github"
)

// Merge methods accepted by [GitHub.Merge].
const (
	MergeMethodMerge  = "merge"
	MergeMethodSquash = "squash"
	MergeMethodRebase = "rebase"
)

// Merge merges pull request number with method (MergeMethodMerge when empty)
// and returns the SHA of the resulting commit on the base branch. A pull
// request that is already merged returns its merge commit. Use
// MergeMethodMerge to keep gitcanary's commits, and their trailers, intact on
// the base branch. A refusal by GitHub wraps [ErrNotMergeable].
func (g *GitHub) Merge(ctx context.Context, number int, method string) (string, error) {
	switch method {
	case "":
		method = MergeMethodMerge
	case MergeMethodMerge, MergeMethodSquash, MergeMethodRebase:
	default:
		return "", fmt.Errorf("github: merge pull request #%d: unknown merge method %q (merge, squash or rebase)", number, method)
	}
	op := fmt.Sprintf("merge pull request #%d", number)
	var res *github.PullRequestMergeResult
	err := g.do(ctx, op, func(ctx context.Context) error {
		var err error
		res, _, err = g.client.PullRequests.Merge(ctx, g.owner, g.name, number, "", &github.PullRequestOptions{MergeMethod: method})
		return err
	})
	if err == nil && res.GetMerged() {
		return res.GetSHA(), nil
	}
	if err != nil && !refused(err) {
		return "", err
	}
	// Refused: maybe because an earlier attempt, or a human, merged it.
	pr, gerr := g.GetPullRequest(ctx, number)
	if gerr == nil && pr.Merged {
		return pr.MergeCommitSHA, nil
	}
	if err == nil {
		err = errors.New(res.GetMessage())
	}
	return "", fmt.Errorf("%w: %w", ErrNotMergeable, err)
}

// refused reports GitHub's answers to a merge it will not do: 405 (not
// mergeable) and 409 (head moved).
func refused(err error) bool {
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return false
	}
	return er.Response.StatusCode == http.StatusMethodNotAllowed || er.Response.StatusCode == http.StatusConflict
}
