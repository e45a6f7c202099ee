package forge

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// scpLike matches git's scp-like syntax: [user@]host:path, where host has no
// slash and path does not start with one.
var scpLike = regexp.MustCompile(`^(?:[^@/]+@)?([^:/]+):([^/].*)$`)

// RepoFromRemote derives "owner/name" from the remote URL of the config
// repository: https://github.com/owner/name(.git), git@github.com:owner/name.git
// or ssh://git@host[:port]/owner/name. Local paths and file:// URLs have no
// GitHub repository and are an error.
func RepoFromRemote(remoteURL string) (string, error) {
	path, err := remotePath(remoteURL)
	if err != nil {
		return "", err
	}
	path = strings.Trim(path, "/")
	path = strings.TrimSuffix(path, ".git")
	if _, _, err := splitRepo(path); err != nil {
		return "", fmt.Errorf("cannot derive the GitHub repository from %s (set --github-repo): %w", sanitizeURL(remoteURL), err)
	}
	return path, nil
}

// remotePath returns the path part of a remote URL.
func remotePath(remoteURL string) (string, error) {
	if remoteURL == "" {
		return "", fmt.Errorf("no remote URL to derive the GitHub repository from (set --github-repo)")
	}
	if !strings.Contains(remoteURL, "://") {
		if m := scpLike.FindStringSubmatch(remoteURL); m != nil {
			return m[2], nil
		}
		return "", fmt.Errorf("cannot derive the GitHub repository from local path %s (set --github-repo)", remoteURL)
	}
	u, err := url.Parse(remoteURL)
	if err != nil {
		return "", fmt.Errorf("cannot derive the GitHub repository from %s (set --github-repo)", sanitizeURL(remoteURL))
	}
	switch u.Scheme {
	case "https", "http", "ssh", "git", "git+ssh", "ssh+git":
	default:
		return "", fmt.Errorf("cannot derive the GitHub repository from %s URL %s (set --github-repo)", u.Scheme, sanitizeURL(remoteURL))
	}
	if u.Host == "" {
		return "", fmt.Errorf("cannot derive the GitHub repository from %s: no host (set --github-repo)", sanitizeURL(remoteURL))
	}
	return u.Path, nil
}

// splitRepo splits "owner/name".
func splitRepo(repo string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") || strings.ContainsAny(repo, " \t\n?#:@") {
		return "", "", fmt.Errorf("%q is not owner/name", repo)
	}
	return owner, name, nil
}

// sanitizeURL removes credentials from a URL for messages. Strings that do
// not parse as URLs are returned up to any '@', which may follow a secret.
func sanitizeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		if i := strings.LastIndex(raw, "@"); i >= 0 && strings.Contains(raw, "://") {
			return "<redacted>" + raw[i:]
		}
		return raw
	}
	u.User = nil
	return u.String()
}
