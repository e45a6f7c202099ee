package ui

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gitcanary/gitcanary/gitops"
)

// links makes the addresses of commits and pull requests on the forge;
// empty without a known forge, and the pages link to their own anchors.
type links struct {
	base string // https://github.com/org/repo
}

// newLinks links to forgeURL, or to GitHub when the remote is there.
func newLinks(forgeURL, remote string) links {
	if forgeURL != "" {
		return links{base: strings.TrimSuffix(forgeURL, "/")}
	}
	return links{base: githubRepo(remote)}
}

// githubRepo is the web address of a github.com remote, "" for another
// host. It takes https://github.com/org/repo(.git), ssh://git@github.com/
// org/repo and git@github.com:org/repo.git; credentials are dropped.
func githubRepo(remote string) string {
	var host, p string
	if u, err := url.Parse(gitops.SanitizeURL(remote)); err == nil && u.Host != "" {
		host, p = u.Hostname(), u.Path
	} else if at, rest, ok := strings.Cut(remote, "@"); ok && !strings.Contains(at, "/") {
		host, p, _ = strings.Cut(rest, ":") // scp-like: git@github.com:org/repo.git
	}
	if !strings.EqualFold(host, "github.com") {
		return ""
	}
	parts := strings.Split(strings.Trim(strings.TrimSuffix(p, ".git"), "/"), "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return ""
	}
	return "https://github.com/" + url.PathEscape(parts[0]) + "/" + url.PathEscape(parts[1])
}

// commit is the forge's page of a commit, "" without a forge.
func (l links) commit(sha string) string {
	if l.base == "" {
		return ""
	}
	return l.base + "/commit/" + sha
}

// pullRequest is the forge's page of pull request n, "" without a forge.
func (l links) pullRequest(n int) string {
	if l.base == "" || n == 0 {
		return ""
	}
	return l.base + "/pull/" + strconv.Itoa(n)
}
