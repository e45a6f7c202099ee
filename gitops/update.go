package gitops

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// updateAttempts bounds how often Update starts over after a rejected push.
const updateAttempts = 5

// EditFunc decides one commit on top of a snapshot of the branch head: the
// changes (path to content, nil to delete) and the commit message.
type EditFunc func(snap *Snapshot) (changes map[string][]byte, msg string, err error)

// Update commits edit's changes on top of the branch head and pushes them,
// as a user would: when someone else pushed meanwhile (the push is a
// compare-and-swap), it fetches and calls edit again on the new head, a few
// times at most. It never forces. It returns the pushed commit.
func (r *Repo) Update(ctx context.Context, author Signature, when time.Time, edit EditFunc) (plumbing.Hash, error) {
	for attempt := 1; ; attempt++ {
		head, err := r.Fetch(ctx)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		snap, err := r.Snapshot(head)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		changes, msg, err := edit(snap)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		tip, err := r.Commit(head, changes, msg, author, when)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		err = r.Push(ctx, tip)
		if err == nil {
			return tip, nil
		}
		if !errors.Is(err, ErrConflict) || attempt == updateAttempts {
			return plumbing.ZeroHash, fmt.Errorf("update %s: %w", r.opts.Branch, err)
		}
	}
}
