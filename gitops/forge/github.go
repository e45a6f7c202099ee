package forge

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-logr/logr"
	"github.com/google/go-github/v60/github"
)

// GitHub talks to one GitHub repository. It is safe for concurrent use.
type GitHub struct {
	client *github.Client
	owner  string
	name   string
	token  string
	opts   Options
	log    logr.Logger
}

// Option sets an optional knob of [New].
type Option func(*GitHub)

// WithLogger makes the client log its retries (at V(1); never the token).
func WithLogger(log logr.Logger) Option {
	return func(g *GitHub) { g.log = log }
}

// New returns a client for opts.Repo, or for the repository derived from
// remoteURL (the config repository's remote) when opts.Repo is empty.
// httpClient may be nil for a default client; its transport is wrapped to add
// the token.
//
// A remote that is no GitHub repository (a local path, another host than
// github.com with the default API URL) gives an error wrapping
// [ErrNotGitHub] before the token is looked at: a caller whose canaries use
// no GitHub gate runs without a client then, whatever $GITHUB_TOKEN holds.
func New(opts Options, remoteURL string, httpClient *http.Client, options ...Option) (*GitHub, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	repo := opts.Repo
	if repo == "" {
		if err := checkGitHubHost(opts.APIURL, remoteURL); err != nil {
			return nil, err
		}
		var err error
		if repo, err = RepoFromRemote(remoteURL); err != nil {
			return nil, err
		}
	}
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	token, err := opts.token()
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(opts.APIURL)
	if err != nil {
		return nil, fmt.Errorf("--github-api-url: %w", err)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	client := github.NewClient(httpClient).WithAuthToken(token)
	client.BaseURL = base
	client.UserAgent = "gitcanary"
	g := &GitHub{client: client, owner: owner, name: name, token: token, opts: opts, log: logr.Discard()}
	for _, o := range options {
		o(g)
	}
	return g, nil
}

// Repo returns the repository as "owner/name".
func (g *GitHub) Repo() string { return g.owner + "/" + g.name }
