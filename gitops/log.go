package gitops

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Log calls fn for from and each of its first parents, newest first, until
// the root commit, fn returns [ErrStopLog] (Log then returns nil) or another
// error (returned), or ctx is done. Only commit objects are read.
//
// In a shallow clone (CI checks out with depth 1 by default) the walk ends
// at the shallow boundary, after fn has seen the last commit the clone
// holds, with an error wrapping [ErrShallow]: what fn saw is all there is
// to see, and it is partial.
func (r *Repo) Log(ctx context.Context, from plumbing.Hash, fn func(*object.Commit) error) error {
	r.mu.Lock()
	shallow, err := r.repo.Storer.Shallow()
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("log: read the shallow boundary: %w", err)
	}
	for h := from; !h.IsZero(); {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.mu.Lock()
		c, err := object.GetCommit(r.repo.Storer, h)
		if h != from || h == r.head {
			err = r.damaged(err) // a parent, or the head, must be there
		}
		r.mu.Unlock()
		if err != nil {
			return fmt.Errorf("log: read commit %s: %w", h, err)
		}
		if err := fn(c); err != nil {
			if errors.Is(err, ErrStopLog) {
				return nil
			}
			return err
		}
		if len(c.ParentHashes) == 0 {
			return nil
		}
		for _, b := range shallow {
			if b == h {
				return fmt.Errorf("log: %w: the commits before %s are not in this clone (git fetch --unshallow)", ErrShallow, short(h))
			}
		}
		h = c.ParentHashes[0]
	}
	return nil
}
