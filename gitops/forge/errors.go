package forge

import (
	"errors"

	"github.com/gitcanary/gitcanary/gitops"
)

var (
	// ErrNoToken means neither --github-token-file nor $GITHUB_TOKEN gave a
	// token.
	ErrNoToken = errors.New("no GitHub token")

	// ErrNotGitHub means the config repository's remote is not a GitHub
	// repository (a local path, another host) and --github-repo does not
	// name one. A caller may run without GitHub when no canary uses a
	// GitHub gate (commitStatus sync gates, pull-request approvals).
	ErrNotGitHub = errors.New("not a GitHub remote")

	// ErrRateLimited means GitHub's rate limit is exhausted for longer than
	// the client is willing to wait, or still after the last attempt. Try
	// again in a later pass.
	ErrRateLimited = errors.New("github rate limit exceeded")

	// ErrUnavailable means GitHub kept answering with server errors (or the
	// network kept failing) until the attempts ran out. Try again later.
	ErrUnavailable = errors.New("github unavailable")

	// ErrNotFound means the repository, pull request or commit does not
	// exist, or the token may not see it.
	ErrNotFound = errors.New("not found on github")

	// ErrNotMergeable means GitHub refused to merge the pull request
	// (conflicts, failing required checks, missing reviews, or its head
	// moved).
	ErrNotMergeable = errors.New("pull request not mergeable")
)

// redact returns err with every occurrence of secret replaced.
func redact(err error, secret string) error {
	return gitops.Redact(err, secret, "***")
}
