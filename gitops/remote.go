package gitops

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

// remoteCall runs one fetch or push (fn) bounded by the per-call timeout
// and by ctx, and explains an interrupted call: a cancelled ctx gives an
// error wrapping ctx's error, an expired timeout one wrapping [ErrTimeout].
// fn's error is kept (redacted by the caller) so the transport's own words
// survive. fn passes px to go-git: for SSH remotes it routes the dial
// through a dialer bound to the call (see sshdial.go).
func (r *Repo) remoteCall(ctx context.Context, fn func(ctx context.Context, px transport.ProxyOptions) error) error {
	timeout := r.opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var px transport.ProxyOptions
	if r.creds != nil && r.creds.ssh {
		var done func()
		px, done = sshCallProxy(cctx)
		defer done()
	}
	err := fn(cctx, px)
	if err == nil {
		return nil
	}
	if r.creds != nil {
		err = r.creds.explain(err)
	}
	switch {
	case ctx.Err() != nil:
		if errors.Is(err, ctx.Err()) {
			return err
		}
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: no answer within %s (--git-timeout): %w", ErrTimeout, timeout, err)
	}
	return err
}
