package githubtest

import (
	"fmt"

	"github.com/google/go-github/v60/github"
)

// Comments returns the bodies of the comments on pull request number.
func (r *Repo) Comments(number int) []string {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	p, ok := r.pulls[number]
	if !ok {
		return nil
	}
	out := make([]string, len(p.comments))
	for i, c := range p.comments {
		out[i] = c.GetBody()
	}
	return out
}

// Approve submits an approving review of pull request number by reviewer.
func (r *Repo) Approve(number int, reviewer string) error {
	return r.Review(number, reviewer, "APPROVED")
}

// RequestChanges submits a review by reviewer that requests changes.
func (r *Repo) RequestChanges(number int, reviewer string) error {
	return r.Review(number, reviewer, "CHANGES_REQUESTED")
}

// Review submits a review with state APPROVED, CHANGES_REQUESTED, COMMENTED
// or DISMISSED of pull request number by reviewer.
func (r *Repo) Review(number int, reviewer, state string) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	p, ok := r.pulls[number]
	if !ok {
		return fmt.Errorf("no pull request #%d", number)
	}
	switch state {
	case "APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED":
	default:
		return fmt.Errorf("unknown review state %q", state)
	}
	r.ids++
	_, now := r.s.tick()
	p.reviews = append(p.reviews, &github.PullRequestReview{
		ID: github.Int64(r.ids), User: &github.User{Login: github.String(reviewer)},
		State: github.String(state), CommitID: p.pr.GetHead().SHA,
		SubmittedAt: &github.Timestamp{Time: now},
	})
	r.touch(p)
	return nil
}

// Close closes pull request number without merging, as a human would.
func (r *Repo) Close(number int) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	p, ok := r.pulls[number]
	if !ok {
		return fmt.Errorf("no pull request #%d", number)
	}
	r.setState(p, "closed")
	return nil
}

// MergeExternally merges pull request number with a merge commit, as a
// human clicking the merge button would, through OnMerge. It returns the
// merge commit SHA.
func (r *Repo) MergeExternally(number int) (string, error) {
	sha, err := r.merge(number, "merge", "")
	if err != nil {
		return "", fmt.Errorf("merge pull request #%d: %w", number, err)
	}
	return sha, nil
}

// SetStatus adds a commit status to sha, as Flux notification-controller or
// Argo CD would. state is pending, success, failure or error.
func (r *Repo) SetStatus(sha, context, state, description string) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.addStatus(sha, &github.RepoStatus{Context: github.String(context), State: github.String(state),
		Description: github.String(description)})
}

// AddCheckRun adds a check run named name to sha. status is queued,
// in_progress or completed; conclusion (success, failure, neutral,
// cancelled, skipped, timed_out, action_required) only counts when
// completed. A later run with the same name supersedes an earlier one.
func (r *Repo) AddCheckRun(sha, name, status, conclusion string) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.ids++
	_, now := r.s.tick()
	run := &github.CheckRun{
		ID: github.Int64(r.ids), HeadSHA: github.String(sha), Name: github.String(name),
		Status: github.String(status), StartedAt: &github.Timestamp{Time: now},
		Output: &github.CheckRunOutput{Title: github.String(name + " " + status)},
	}
	if status == "completed" {
		run.Conclusion = github.String(conclusion)
		run.CompletedAt = &github.Timestamp{Time: now}
		run.Output.Title = github.String(name + " " + conclusion)
	}
	r.runs[sha] = append(r.runs[sha], run)
}

// Statuses returns the statuses set on sha with context, oldest first.
func (r *Repo) Statuses(sha, context string) []*github.RepoStatus {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var out []*github.RepoStatus
	for _, st := range r.statuses[sha] {
		if st.GetContext() == context {
			out = append(out, clone(st))
		}
	}
	return out
}
