package gitops

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// ProposalPrefix is the prefix of the branches gitcanary owns: the pull
// requests of its approval gates. They are the only refs it ever
// force-pushes.
const ProposalPrefix = "gitcanary/"

// PushProposal points the remote branch name, which must start with
// [ProposalPrefix], at tip, replacing whatever it held: gitcanary rebuilds
// its proposal on the latest head when the main branch moves. Any other
// branch is refused, so the main branch and everyone else's branches are
// never forced.
func (r *Repo) PushProposal(ctx context.Context, tip plumbing.Hash, name string) error {
	if !strings.HasPrefix(name, ProposalPrefix) || name == r.opts.Branch {
		return fmt.Errorf("push proposal: refusing to force %q: only %s* branches are gitcanary's", name, ProposalPrefix)
	}
	if err := plumbing.NewBranchReferenceName(name).Validate(); err != nil {
		return fmt.Errorf("push proposal: branch %q: %w", name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	remote, err := r.repo.Remote(remoteName)
	if err != nil {
		return fmt.Errorf("push proposal: %w", err)
	}
	spec := config.RefSpec(fmt.Sprintf("+%s:%s", tip, plumbing.NewBranchReferenceName(name)))
	err = r.remoteCall(ctx, func(ctx context.Context, px transport.ProxyOptions) error {
		return remote.PushContext(ctx, &git.PushOptions{RemoteName: remoteName, RefSpecs: []config.RefSpec{spec}, Auth: r.creds.method, ProxyOptions: px})
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return redact(fmt.Errorf("push %s to %s: %w", short(tip), name, err), r.creds.secrets...)
	}
	return r.objs.persist()
}

// CommitObject reads a commit.
func (r *Repo) CommitObject(h plumbing.Hash) (*object.Commit, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return object.GetCommit(r.repo.Storer, h)
}
