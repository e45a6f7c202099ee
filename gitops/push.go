package gitops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
)

// Push updates the remote branch to tip, which must descend from the
// remote head. It never forces: if the remote branch moved since the last
// fetch (someone else pushed), the error wraps [ErrConflict] and the caller
// should fetch, drop its local commits and decide again. After a successful
// push the remote-tracking ref and [Repo.Head] point at tip. Like
// [Repo.Fetch], the call is bounded by [RepoOptions].Timeout and by ctx; a
// push cut short may or may not have moved the remote branch, which the next
// fetch shows.
func (r *Repo) Push(ctx context.Context, tip plumbing.Hash) error {
	if tip.IsZero() {
		return errors.New("push: no commit given")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	remote, err := r.repo.Remote(remoteName)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	err = r.remoteCall(ctx, func(ctx context.Context, px transport.ProxyOptions) error {
		if r.objs.has(tip) {
			return r.sendPending(ctx, remote, px, tip)
		}
		spec := config.RefSpec(fmt.Sprintf("%s:%s", tip, r.branchRef()))
		return remote.PushContext(ctx, &git.PushOptions{
			RemoteName:   remoteName,
			RefSpecs:     []config.RefSpec{spec},
			Auth:         r.creds.method,
			ProxyOptions: px,
		})
	})
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
	case isConflict(err):
		return redact(fmt.Errorf("push %s to %s: %w: %w", short(tip), r.opts.Branch, ErrConflict, err), r.creds.secrets...)
	default:
		return redact(fmt.Errorf("push %s to %s at %s: %w", short(tip), r.opts.Branch, r.URL(), err), r.creds.secrets...)
	}
	// The pushed objects go to disk before the tracking ref names them; if
	// they cannot, the next fetch brings them back from the remote.
	if err := r.objs.persist(); err != nil {
		return fmt.Errorf("after the push of %s: %w", short(tip), err)
	}
	ref := plumbing.NewHashReference(r.trackingRef(), tip)
	if err := r.repo.Storer.SetReference(ref); err != nil {
		return fmt.Errorf("update %s after push: %w", r.trackingRef(), err)
	}
	r.head = tip
	return nil
}

// conflictMarkers are the messages, from go-git's own fast-forward check and
// from receive-pack's report status, that mean "the branch is not where you
// thought". go-git reports them as plain strings, so we match text.
var conflictMarkers = []string{
	"non-fast-forward",     // go-git's check, and receive-pack's "ng ... non-fast-forward"
	"fetch first",          // git servers: the remote has commits we lack
	"stale info",           // lease mismatch
	"cannot lock ref",      // receive-pack lost a race on the ref (old value changed)
	"failed to lock",       // idem, older git
	"failed to update ref", // idem, hosted forges
	"reference already exists",
}

func isConflict(err error) bool {
	if errors.Is(err, git.ErrForceNeeded) || errors.Is(err, errRemoteMoved) {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, m := range conflictMarkers {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// errRemoteMoved is the remote branch found elsewhere than at the last
// fetch or push.
var errRemoteMoved = errors.New("the remote branch moved")

// sendPending pushes tip, a commit of this pass, by sending exactly the
// objects built since the last fetch or push: the remote branch is where
// gitcanary last saw it (else errRemoteMoved, before anything is sent), so
// it holds every older object. The update names that old value too, so
// the server refuses it if the branch moves meanwhile: a compare-and-swap.
// This skips what a generic push costs on a large repository — walking the
// remote's trees to find what it lacks, and a delta search — and the pack
// sent is the one then written to disk.
func (r *Repo) sendPending(ctx context.Context, remote *git.Remote, px transport.ProxyOptions, tip plumbing.Hash) (err error) {
	urls := remote.Config().URLs
	ep, err := transport.NewEndpoint(urls[len(urls)-1])
	if err != nil {
		return err
	}
	ep.Proxy = px
	cl, err := client.NewClient(ep)
	if err != nil {
		return err
	}
	sess, err := cl.NewReceivePackSession(ep, r.creds.method)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := sess.Close(); err == nil {
			err = cerr
		}
	}()
	adv, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return err
	}
	refs, err := adv.AllReferences()
	if err != nil {
		return err
	}
	var old plumbing.Hash
	if ref, err := refs.Reference(r.branchRef()); err == nil {
		old = ref.Hash()
	}
	if old != r.head {
		return fmt.Errorf("%w: at %s, not %s", errRemoteMoved, short(old), short(r.head))
	}
	pack, err := r.objs.pack()
	if err != nil {
		return err
	}
	req := packp.NewReferenceUpdateRequestFromCapabilities(adv.Capabilities)
	req.Commands = []*packp.Command{{Name: r.branchRef(), Old: old, New: tip}}
	req.Packfile = io.NopCloser(bytes.NewReader(pack.data))
	status, err := sess.ReceivePack(ctx, req)
	if err != nil {
		return err
	}
	if status != nil {
		if err := status.Error(); err != nil {
			return err
		}
	}
	return r.objs.persistPack(pack)
}
