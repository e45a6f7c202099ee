package gitops

import (
	"errors"
	"strings"
)

var (
	// ErrConflict means the remote branch moved since the last fetch, so the
	// push was refused. Fetch, discard the local commits and decide again.
	ErrConflict = errors.New("remote branch moved")

	// ErrNoChanges means a commit would have the same tree as its parent.
	ErrNoChanges = errors.New("no changes to commit")

	// ErrBranchNotFound means the remote has no such branch (or no commits).
	ErrBranchNotFound = errors.New("branch not found on remote")

	// ErrTimeout means a fetch or push got no complete answer from the
	// remote within [RepoOptions].Timeout; the call was abandoned.
	ErrTimeout = errors.New("git remote timed out")

	// ErrCorrupt means the bare clone in the workdir is damaged (a
	// truncated pack, a missing object): not the repository's content is
	// wrong but gitcanary's copy of it. The next [Repo.Fetch] clones again.
	ErrCorrupt = errors.New("the clone in the workdir is damaged")

	// ErrWorkdirLocked means another process holds the workdir lock.
	ErrWorkdirLocked = errors.New("workdir is locked by another process")

	// ErrStopLog can be returned by a [Repo.Log] callback to stop the walk
	// early; Log then returns nil.
	ErrStopLog = errors.New("stop log")

	// ErrShallow means [Repo.Log] reached the boundary of a shallow clone:
	// the history it walked is partial, older commits were not fetched.
	ErrShallow = errors.New("history cut short by a shallow clone")

	// ErrUnsupported means the tree holds something gitops does not read,
	// such as a symlink or a submodule, at the requested path.
	ErrUnsupported = errors.New("unsupported tree entry")
)

// redactedError hides secrets (tokens, URLs with credentials) from the
// message of a wrapped error while keeping it usable with errors.Is/As. It
// has no Unwrap method, so the raw message cannot be reached by unwrapping.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string        { return e.msg }
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }
func (e *redactedError) As(target any) bool   { return errors.As(e.err, target) }

// Redact returns err with every secret replaced by its public form, still
// usable with errors.Is and errors.As. replacements holds pairs: secret,
// public. Errors that may carry a token pass through it before they reach a
// log, a commit or a user.
func Redact(err error, replacements ...string) error {
	return redact(err, replacements...)
}

func redact(err error, replacements ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for i := 0; i+1 < len(replacements); i += 2 {
		if replacements[i] != "" {
			msg = strings.ReplaceAll(msg, replacements[i], replacements[i+1])
		}
	}
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}
