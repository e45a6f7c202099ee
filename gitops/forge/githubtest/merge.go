package githubtest

import (
	"cmp"
	"fmt"
	"net/http"
	"strconv"

	"github.com/google/go-github/v60/github"
)

// mergeRequest is the body of PUT /pulls/{number}/merge.
type mergeRequest struct {
	CommitMessage *string `json:"commit_message"`
	CommitTitle   string  `json:"commit_title"`
	MergeMethod   string  `json:"merge_method"`
	SHA           string  `json:"sha"`
}

func (s *Server) mergePull(w http.ResponseWriter, r *http.Request, repo *Repo) {
	var in mergeRequest
	if !decode(w, r, &in) {
		return
	}
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	method := cmp.Or(in.MergeMethod, "merge")
	switch method {
	case "merge", "squash", "rebase":
	default:
		writeValidation(w, "PullRequest", "merge_method", "invalid", "")
		return
	}
	sha, refused := repo.merge(n, method, in.SHA)
	if refused != nil {
		writeError(w, refused.status, refused.message)
		return
	}
	writeJSON(w, http.StatusOK, github.PullRequestMergeResult{
		SHA: github.String(sha), Merged: github.Bool(true), Message: github.String("Pull Request successfully merged"),
	})
}

func (s *Server) isMerged(w http.ResponseWriter, r *http.Request, repo *Repo) {
	p, ok := s.pullOf(w, r, repo)
	if !ok {
		return
	}
	merged := p.pr.GetMerged()
	s.mu.Unlock()
	if !merged {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// refusal is GitHub's answer to a merge it will not do.
type refusal struct {
	status  int
	message string
}

func (r *refusal) Error() string { return fmt.Sprintf("%d %s", r.status, r.message) }

// merge merges pull request number through OnMerge, refusing (405) closed
// pull requests and (409) a head that is not expectSHA.
func (r *Repo) merge(number int, method, expectSHA string) (string, *refusal) {
	r.s.mu.Lock()
	p, ok := r.pulls[number]
	switch {
	case !ok:
		r.s.mu.Unlock()
		return "", &refusal{http.StatusNotFound, "Not Found"}
	case p.pr.GetState() != "open" || p.merging:
		r.s.mu.Unlock()
		return "", &refusal{http.StatusMethodNotAllowed, "Pull Request is not mergeable"}
	case expectSHA != "" && expectSHA != r.current(p).GetHead().GetSHA():
		r.s.mu.Unlock()
		return "", &refusal{http.StatusConflict, "Head branch was modified. Review and try the merge again."}
	}
	p.merging = true
	snapshot, hook := clone(p.pr), r.OnMerge
	r.s.mu.Unlock()

	sha := fakeSHA(fmt.Sprintf("merge %s #%d", r.FullName(), number))
	var err error
	if hook != nil {
		sha, err = hook(snapshot, method)
	}

	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	p.merging = false
	if err != nil {
		return "", &refusal{http.StatusMethodNotAllowed, err.Error()}
	}
	_, now := r.s.tick()
	p.pr.Merged = github.Bool(true)
	p.pr.MergedAt = &github.Timestamp{Time: now}
	p.pr.MergeCommitSHA = github.String(sha)
	p.pr.MergedBy = &github.User{Login: github.String(DefaultLogin)}
	p.pr.Mergeable = nil
	r.setState(p, "closed")
	return sha, nil
}
