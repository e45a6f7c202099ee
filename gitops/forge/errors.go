package forge

import (
	"errors"
	"strings"
)

var (
	// ErrNoToken means neither --github-token-file nor $GITHUB_TOKEN gave a
	// token.
	ErrNoToken = errors.New("no GitHub token")

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

// redactedError hides the token from the message of a wrapped error while
// keeping it usable with errors.Is/As. It has no Unwrap method, so the raw
// message cannot be reached by unwrapping.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string        { return e.msg }
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }
func (e *redactedError) As(target any) bool   { return errors.As(e.err, target) }

// redact returns err with every occurrence of secret replaced.
func redact(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), secret, "***"), err: err}
}
