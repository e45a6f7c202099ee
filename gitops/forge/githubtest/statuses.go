package githubtest

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
)

// resolveRef turns a branch name into its head SHA; anything else is taken
// as a SHA. The caller holds the lock.
func (r *Repo) resolveRef(ref string) string {
	if sha, ok := r.branches[ref]; ok {
		return sha
	}
	return ref
}

// getRef serves a branch's git reference ("heads/<branch>").
func (s *Server) getRef(w http.ResponseWriter, r *http.Request, repo *Repo) {
	ref := r.PathValue("ref")
	branch, ok := strings.CutPrefix(ref, "heads/")
	s.mu.Lock()
	sha, known := repo.branches[branch]
	s.mu.Unlock()
	if !ok || !known {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, github.Reference{
		Ref:    github.String("refs/" + ref),
		Object: &github.GitObject{Type: github.String("commit"), SHA: github.String(sha)},
	})
}

// combinedStatus serves GitHub's combined status: the latest status per
// context, and their overall state.
func (s *Server) combinedStatus(w http.ResponseWriter, r *http.Request, repo *Repo) {
	s.mu.Lock()
	sha := repo.resolveRef(r.PathValue("ref"))
	all := repo.statuses[sha]
	var latest []*github.RepoStatus
	seen := map[string]bool{}
	for i := len(all) - 1; i >= 0; i-- {
		if c := all[i].GetContext(); !seen[c] {
			seen[c] = true
			latest = append(latest, clone(all[i]))
		}
	}
	s.mu.Unlock()
	state := "success"
	if len(latest) == 0 {
		state = "pending"
	}
	for _, st := range latest {
		switch st.GetState() {
		case "error", "failure":
			state = "failure"
		case "pending":
			if state != "failure" {
				state = "pending"
			}
		}
	}
	page := paginate(w, r, latest)
	writeJSON(w, http.StatusOK, github.CombinedStatus{
		State: github.String(state), SHA: github.String(sha), TotalCount: github.Int(len(latest)),
		Statuses: page, Name: github.String(repo.FullName()),
	})
}

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request, repo *Repo) {
	var in github.RepoStatus
	if !decode(w, r, &in) {
		return
	}
	switch in.GetState() {
	case "pending", "success", "failure", "error":
	default:
		writeValidation(w, "Status", "state", "custom", "state is not included in the list")
		return
	}
	s.mu.Lock()
	st := repo.addStatus(r.PathValue("sha"), &github.RepoStatus{
		State: in.State, Context: github.String(cmp.Or(in.GetContext(), "default")),
		Description: in.Description, TargetURL: in.TargetURL,
	})
	out := clone(st)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

// listCheckRuns serves the check runs of a ref, by default (filter=latest)
// only the most recent run of each name.
func (s *Server) listCheckRuns(w http.ResponseWriter, r *http.Request, repo *Repo) {
	q := r.URL.Query()
	s.mu.Lock()
	all := repo.runs[repo.resolveRef(r.PathValue("ref"))]
	var runs []*github.CheckRun
	seen := map[string]bool{}
	for i := len(all) - 1; i >= 0; i-- {
		run := all[i]
		if q.Get("filter") != "all" {
			if seen[run.GetName()] {
				continue
			}
			seen[run.GetName()] = true
		}
		if (q.Get("check_name") != "" && run.GetName() != q.Get("check_name")) ||
			(q.Get("status") != "" && run.GetStatus() != q.Get("status")) {
			continue
		}
		runs = append(runs, clone(run))
	}
	s.mu.Unlock()
	slices.Reverse(runs)
	page := paginate(w, r, runs)
	writeJSON(w, http.StatusOK, github.ListCheckRunsResults{Total: github.Int(len(runs)), CheckRuns: page})
}
