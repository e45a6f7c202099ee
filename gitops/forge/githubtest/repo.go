package githubtest

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Repo is one repository on the server. Set the hooks before the first
// request that needs them.
type Repo struct {
	Owner string
	Name  string

	// OnMerge, if set, merges pr (with method merge, squash or rebase) in a
	// real repository and returns the SHA of the merge commit; an error
	// makes the merge fail with 405 and the error as message. When nil, a
	// made-up SHA is used. It is called without the server's lock held.
	OnMerge func(pr *github.PullRequest, method string) (mergeSHA string, err error)
	// Branch, when set, resolves branch heads (e.g. from a real bare
	// repository) for branches SetBranch does not name. It is called with
	// the server's lock held: it must not call back into the stand-in.
	Branch func(name string) (sha string, ok bool)

	s        *Server
	next     int
	pulls    map[int]*pull
	branches map[string]string
	statuses map[string][]*github.RepoStatus
	runs     map[string][]*github.CheckRun
	ids      int64
}

// pull is a pull request with its reviews and comments.
type pull struct {
	pr       *github.PullRequest
	updated  int64
	merging  bool
	reviews  []*github.PullRequestReview
	comments []*github.IssueComment
}

// CreateRepo adds the repository owner/name (case-insensitive, as on GitHub)
// and returns it; creating it again returns the existing one.
func (s *Server) CreateRepo(owner, name string) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(owner + "/" + name)
	if r, ok := s.repos[key]; ok {
		return r
	}
	r := &Repo{Owner: owner, Name: name, s: s, pulls: map[int]*pull{}, branches: map[string]string{},
		statuses: map[string][]*github.RepoStatus{}, runs: map[string][]*github.CheckRun{}}
	s.repos[key] = r
	return r
}

func (s *Server) repo(owner, name string) *Repo {
	return s.repos[strings.ToLower(owner+"/"+name)]
}

// FullName returns "owner/name".
func (r *Repo) FullName() string { return r.Owner + "/" + r.Name }

func (r *Repo) ghRepo() *github.Repository {
	return &github.Repository{
		Name: github.String(r.Name), FullName: github.String(r.FullName()),
		Owner:   &github.User{Login: github.String(r.Owner)},
		HTMLURL: github.String("https://github.example/" + r.FullName()),
	}
}

// SetBranch records the head commit of a branch, which pull requests from
// that branch report as their head SHA and the git ref API serves. Pull
// requests from branches never set get a made-up head SHA, and the git ref
// API answers 404 for them.
func (r *Repo) SetBranch(name, sha string) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.branches[name] = sha
	for _, p := range r.pulls {
		if p.pr.GetState() == "open" && p.pr.GetHead().GetRef() == name {
			p.pr.Head.SHA = github.String(sha)
			r.touch(p)
		}
	}
}

// DeleteBranch removes a branch, as GitHub does with head branches after a
// merge when the repository is set up so.
func (r *Repo) DeleteBranch(name string) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	delete(r.branches, name)
}

// branchSHA returns the head of branch name. The caller holds the lock.
func (r *Repo) branchSHA(name string) string {
	if sha, ok := r.branches[name]; ok {
		return sha
	}
	if r.Branch != nil {
		if sha, ok := r.Branch(name); ok {
			return sha
		}
	}
	return fakeSHA(r.FullName() + ":" + name)
}

// PullRequest returns a copy of pull request number as the API shows it.
func (r *Repo) PullRequest(number int) (*github.PullRequest, bool) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	p, ok := r.pulls[number]
	if !ok {
		return nil, false
	}
	return clone(p.pr), true
}

// PullRequests returns copies of all pull requests, by number.
func (r *Repo) PullRequests() []*github.PullRequest {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	out := make([]*github.PullRequest, 0, len(r.pulls))
	for n := 1; n <= r.next; n++ {
		if p, ok := r.pulls[n]; ok {
			out = append(out, clone(p.pr))
		}
	}
	return out
}

// addStatus stamps and stores a status. The caller holds the lock.
func (r *Repo) addStatus(sha string, st *github.RepoStatus) *github.RepoStatus {
	r.ids++
	_, now := r.s.tick()
	st.ID = github.Int64(r.ids)
	st.CreatedAt = &github.Timestamp{Time: now}
	st.UpdatedAt = &github.Timestamp{Time: now}
	st.Creator = &github.User{Login: github.String(DefaultLogin)}
	r.statuses[sha] = append(r.statuses[sha], st)
	return st
}

// setState opens or closes a pull request. The caller holds the lock.
func (r *Repo) setState(p *pull, state string) {
	_, now := r.s.tick()
	p.pr.State = github.String(state)
	if state == "closed" {
		p.pr.ClosedAt = &github.Timestamp{Time: now}
	} else {
		p.pr.ClosedAt = nil
	}
	r.touch(p)
}

// touch marks a pull request as updated. The caller holds the lock.
func (r *Repo) touch(p *pull) {
	seq, now := r.s.tick()
	p.updated = seq
	p.pr.UpdatedAt = &github.Timestamp{Time: now}
}

func fakeSHA(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
