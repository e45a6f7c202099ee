package githubtest

import (
	"net/http"
	"strconv"
	"strings"
)

// routes maps the API endpoints gitcanary uses.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h func(w http.ResponseWriter, r *http.Request, repo *Repo)) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" "+APIPrefix+"/repos/{owner}/{repo}"+path, func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			repo := s.repo(r.PathValue("owner"), r.PathValue("repo"))
			s.mu.Unlock()
			if repo == nil {
				writeError(w, http.StatusNotFound, "Not Found")
				return
			}
			h(w, r, repo)
		})
	}
	handle("GET /pulls", s.listPulls)
	handle("POST /pulls", s.createPull)
	handle("GET /pulls/{number}", s.getPull)
	handle("PATCH /pulls/{number}", s.editPull)
	handle("GET /pulls/{number}/reviews", s.listReviews)
	handle("PUT /pulls/{number}/merge", s.mergePull)
	handle("GET /pulls/{number}/merge", s.isMerged)
	handle("POST /issues/{number}/comments", s.createComment)
	handle("GET /issues/{number}/comments", s.listComments)
	handle("GET /git/ref/{ref...}", s.getRef)
	handle("GET /commits/{ref}/status", s.combinedStatus)
	handle("POST /statuses/{sha}", s.createStatus)
	handle("GET /commits/{ref}/check-runs", s.listCheckRuns)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found")
	})
	return mux
}

// pullOf returns the pull request named by the {number} path value, or
// answers 404. It takes the lock; on success the caller must unlock.
func (s *Server) pullOf(w http.ResponseWriter, r *http.Request, repo *Repo) (*pull, bool) {
	n, err := strconv.Atoi(r.PathValue("number"))
	s.mu.Lock()
	p, ok := repo.pulls[n]
	if err != nil || !ok {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found")
		return nil, false
	}
	return p, true
}
