package githubtest

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
)

func (s *Server) listPulls(w http.ResponseWriter, r *http.Request, repo *Repo) {
	q := r.URL.Query()
	state := cmp.Or(q.Get("state"), "open")
	headUser, headRef, hasHead := strings.Cut(q.Get("head"), ":")
	if !hasHead {
		headUser, headRef = "", q.Get("head")
	}
	s.mu.Lock()
	var match []*pull
	for _, p := range repo.pulls {
		switch {
		case state != "all" && p.pr.GetState() != state,
			headRef != "" && p.pr.GetHead().GetRef() != headRef,
			headUser != "" && !strings.EqualFold(headUser, p.pr.GetHead().GetUser().GetLogin()),
			q.Get("base") != "" && p.pr.GetBase().GetRef() != q.Get("base"):
			continue
		}
		match = append(match, p)
	}
	key := func(p *pull) int64 { return int64(p.pr.GetNumber()) }
	desc := q.Get("direction") != "asc"
	if sort := q.Get("sort"); sort != "" && sort != "created" {
		key = func(p *pull) int64 { return p.updated }
		desc = q.Get("direction") == "desc"
	}
	slices.SortFunc(match, func(a, b *pull) int {
		if desc {
			return cmp.Compare(key(b), key(a))
		}
		return cmp.Compare(key(a), key(b))
	})
	out := make([]*github.PullRequest, len(match))
	for i, p := range match {
		out[i] = repo.current(p)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, paginate(w, r, out))
}

func (s *Server) createPull(w http.ResponseWriter, r *http.Request, repo *Repo) {
	var in github.NewPullRequest
	if !decode(w, r, &in) {
		return
	}
	head := in.GetHead()
	if user, ref, ok := strings.Cut(head, ":"); ok {
		if !strings.EqualFold(user, repo.Owner) {
			writeValidation(w, "PullRequest", "head", "invalid", "")
			return
		}
		head = ref
	}
	switch {
	case in.GetTitle() == "":
		writeValidation(w, "PullRequest", "title", "missing_field", "")
		return
	case head == "", in.GetBase() == "":
		writeValidation(w, "PullRequest", "base", "missing_field", "")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range repo.pulls {
		if p.pr.GetState() == "open" && p.pr.GetHead().GetRef() == head && p.pr.GetBase().GetRef() == in.GetBase() {
			writeValidation(w, "PullRequest", "", "custom",
				fmt.Sprintf("A pull request already exists for %s:%s.", repo.Owner, head))
			return
		}
	}
	repo.next++
	n := repo.next
	_, now := s.tick()
	owner := &github.User{Login: github.String(repo.Owner)}
	web := fmt.Sprintf("https://github.example/%s/pull/%d", repo.FullName(), n)
	pr := &github.PullRequest{
		ID: github.Int64(int64(1000 + n)), Number: github.Int(n), State: github.String("open"),
		Title: github.String(in.GetTitle()), Body: github.String(in.GetBody()),
		Draft: github.Bool(in.GetDraft()), Merged: github.Bool(false),
		HTMLURL: github.String(web), URL: github.String(s.URL + "repos/" + repo.FullName() + fmt.Sprintf("/pulls/%d", n)),
		User:      &github.User{Login: github.String(DefaultLogin)},
		CreatedAt: &github.Timestamp{Time: now},
		Head: &github.PullRequestBranch{Ref: github.String(head), SHA: github.String(repo.branchSHA(head)),
			Label: github.String(repo.Owner + ":" + head), User: owner, Repo: repo.ghRepo()},
		Base: &github.PullRequestBranch{Ref: github.String(in.GetBase()), SHA: github.String(repo.branchSHA(in.GetBase())),
			Label: github.String(repo.Owner + ":" + in.GetBase()), User: owner, Repo: repo.ghRepo()},
	}
	p := &pull{pr: pr}
	repo.pulls[n] = p
	repo.touch(p)
	writeJSON(w, http.StatusCreated, clone(pr))
}

func (s *Server) getPull(w http.ResponseWriter, r *http.Request, repo *Repo) {
	p, ok := s.pullOf(w, r, repo)
	if !ok {
		return
	}
	out := repo.current(p)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// current is a copy of an open pull request with its head SHA as the branch
// is now (GitHub follows pushes to the head branch). The caller holds the
// server's lock.
func (r *Repo) current(p *pull) *github.PullRequest {
	out := clone(p.pr)
	if out.GetState() == "open" && out.Head != nil {
		head := *out.Head
		head.SHA = github.String(r.branchSHA(out.Head.GetRef()))
		out.Head = &head
	}
	return out
}

// pullUpdate is the body of PATCH /pulls/{number}.
type pullUpdate struct {
	Title *string `json:"title"`
	Body  *string `json:"body"`
	State *string `json:"state"`
	Base  *string `json:"base"`
}

func (s *Server) editPull(w http.ResponseWriter, r *http.Request, repo *Repo) {
	var in pullUpdate
	if !decode(w, r, &in) {
		return
	}
	p, ok := s.pullOf(w, r, repo)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	if in.Title != nil {
		p.pr.Title = github.String(*in.Title)
	}
	if in.Body != nil {
		p.pr.Body = github.String(*in.Body)
	}
	if in.Base != nil {
		p.pr.Base.Ref = github.String(*in.Base)
	}
	if in.State != nil && !p.pr.GetMerged() {
		switch *in.State {
		case "open", "closed":
			repo.setState(p, *in.State)
		default:
			writeValidation(w, "PullRequest", "state", "invalid", "")
			return
		}
	}
	repo.touch(p)
	writeJSON(w, http.StatusOK, clone(p.pr))
}

func (s *Server) listReviews(w http.ResponseWriter, r *http.Request, repo *Repo) {
	p, ok := s.pullOf(w, r, repo)
	if !ok {
		return
	}
	out := make([]*github.PullRequestReview, len(p.reviews))
	for i, rv := range p.reviews {
		out[i] = clone(rv)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, paginate(w, r, out))
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request, repo *Repo) {
	var in github.IssueComment
	if !decode(w, r, &in) {
		return
	}
	if in.GetBody() == "" {
		writeValidation(w, "IssueComment", "body", "missing_field", "")
		return
	}
	p, ok := s.pullOf(w, r, repo)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	repo.ids++
	_, now := s.tick()
	c := &github.IssueComment{
		ID: github.Int64(repo.ids), Body: github.String(in.GetBody()),
		User:      &github.User{Login: github.String(DefaultLogin)},
		CreatedAt: &github.Timestamp{Time: now}, UpdatedAt: &github.Timestamp{Time: now},
		HTMLURL: github.String(fmt.Sprintf("%s#issuecomment-%d", p.pr.GetHTMLURL(), repo.ids)),
	}
	p.comments = append(p.comments, c)
	repo.touch(p)
	writeJSON(w, http.StatusCreated, clone(c))
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, repo *Repo) {
	p, ok := s.pullOf(w, r, repo)
	if !ok {
		return
	}
	out := make([]*github.IssueComment, len(p.comments))
	for i, c := range p.comments {
		out[i] = clone(c)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, paginate(w, r, out))
}
