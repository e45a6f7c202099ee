package forge

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/gitcanary/gitcanary/gitops"
)

// scpLike matches git's scp-like syntax: [user@]host:path, where host has no
// slash and path does not start with one.
var scpLike = regexp.MustCompile(`^(?:[^@/]+@)?([^:/]+):([^/].*)$`)

// RepoFromRemote derives "owner/name" from the remote URL of the config
// repository: https://github.com/owner/name(.git), git@github.com:owner/name.git
// or ssh://git@host[:port]/owner/name. Local paths and file:// URLs have no
// GitHub repository: the error wraps [ErrNotGitHub], as for any remote it
// cannot read as one.
func RepoFromRemote(remoteURL string) (string, error) {
	_, path, err := remoteHostPath(remoteURL)
	if err != nil {
		return "", err
	}
	path = strings.Trim(path, "/")
	path = strings.TrimSuffix(path, ".git")
	if _, _, err := splitRepo(path); err != nil {
		return "", fmt.Errorf("%w: cannot derive the GitHub repository from %s (set --github-repo): %w", ErrNotGitHub, gitops.SanitizeURL(remoteURL), err)
	}
	return path, nil
}

// remoteHostPath returns the host and the path of a remote URL.
func remoteHostPath(remoteURL string) (host, path string, err error) {
	if remoteURL == "" {
		return "", "", fmt.Errorf("%w: no remote URL to derive the GitHub repository from (set --github-repo)", ErrNotGitHub)
	}
	if !strings.Contains(remoteURL, "://") {
		if m := scpLike.FindStringSubmatch(remoteURL); m != nil {
			return m[1], m[2], nil
		}
		return "", "", fmt.Errorf("%w: cannot derive the GitHub repository from local path %s (set --github-repo)", ErrNotGitHub, remoteURL)
	}
	u, err := url.Parse(remoteURL)
	if err != nil {
		return "", "", fmt.Errorf("%w: cannot derive the GitHub repository from %s (set --github-repo)", ErrNotGitHub, gitops.SanitizeURL(remoteURL))
	}
	switch u.Scheme {
	case "https", "http", "ssh", "git", "git+ssh", "ssh+git":
	default:
		return "", "", fmt.Errorf("%w: cannot derive the GitHub repository from %s URL %s (set --github-repo)", ErrNotGitHub, u.Scheme, gitops.SanitizeURL(remoteURL))
	}
	if u.Host == "" {
		return "", "", fmt.Errorf("%w: cannot derive the GitHub repository from %s: no host (set --github-repo)", ErrNotGitHub, gitops.SanitizeURL(remoteURL))
	}
	return u.Hostname(), u.Path, nil
}

// checkGitHubHost refuses a remote on another host than github.com when
// the API is GitHub.com's: its owner/name would name some other repository
// there. With another API URL (GitHub Enterprise, whose Git host may differ
// from its API host) the remote is taken as it is.
func checkGitHubHost(apiURL, remoteURL string) error {
	if apiURL != DefaultAPIURL {
		return nil
	}
	host, _, err := remoteHostPath(remoteURL)
	if err != nil {
		return err
	}
	if h := strings.ToLower(host); h != "github.com" && !strings.HasSuffix(h, ".github.com") {
		return fmt.Errorf("%w: %s is not on github.com (set --github-repo, and --github-api-url for GitHub Enterprise)", ErrNotGitHub, gitops.SanitizeURL(remoteURL))
	}
	return nil
}

// splitRepo splits "owner/name".
func splitRepo(repo string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") || strings.ContainsAny(repo, " \t\n?#:@") {
		return "", "", fmt.Errorf("%q is not owner/name", repo)
	}
	return owner, name, nil
}
