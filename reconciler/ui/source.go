package ui

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler"
)

// Fetcher brings the repository up to date and returns the head the UI
// shows. A *gitops.Repo is one; inside `gitcanary run`, whose reconcile
// loop fetches already, HeadOf(repo) reads its head without fetching.
type Fetcher interface {
	Fetch(ctx context.Context) (plumbing.Hash, error)
}

// FetchFunc adapts a function to a Fetcher.
type FetchFunc func(ctx context.Context) (plumbing.Hash, error)

// Fetch calls f.
func (f FetchFunc) Fetch(ctx context.Context) (plumbing.Hash, error) { return f(ctx) }

// HeadOf is the Fetcher of a repository that another loop keeps fetched
// (run's reconcile loop), or that is never fetched (a local clone without
// origin): it returns the head as of that loop's last fetch or push.
func HeadOf(repo *gitops.Repo) Fetcher {
	return FetchFunc(func(context.Context) (plumbing.Hash, error) { return repo.Head(), nil })
}

// fetchTimeout bounds one fetch.
const fetchTimeout = 30 * time.Second

// view is what the pages show of one head, read once when the head is new.
type view struct {
	head     plumbing.Hash
	at       time.Time // when the head was first seen
	canaries []reconciler.CanaryInfo
	errs     []error

	snap     *gitops.Snapshot
	provider string
	memo     *reconciler.ImageMemo // the server's, across views
	imgMu    sync.Mutex
	images   map[string][]string // by canary ID, found when a page first shows it
	imgErrs  map[string]error

	mu     sync.Mutex
	events map[string][]reconciler.Transition // by canary ID, read when first asked
}

// newView reads the canaries of head; the images their targets run are
// found when a page shows them (imagesOf).
func newView(repo *gitops.Repo, head plumbing.Hash, provider string, memo *reconciler.ImageMemo, now time.Time) (*view, error) {
	v := &view{head: head, at: now, provider: provider, memo: memo, images: map[string][]string{}, imgErrs: map[string]error{}, events: map[string][]reconciler.Transition{}}
	if head.IsZero() {
		return v, nil
	}
	snap, err := repo.Snapshot(head)
	if err != nil {
		return nil, err
	}
	v.snap = snap
	v.canaries, v.errs = reconciler.ListCanaries(snap, provider, now)
	return v, nil
}

// findImages finds the images of the canaries' targets that the view has
// not found yet: each app is rendered once per view at most, and not at
// all when the memo knows its inputs unchanged since an earlier head.
func (v *view) findImages(infos ...reconciler.CanaryInfo) {
	if v.snap == nil {
		return
	}
	v.imgMu.Lock()
	defer v.imgMu.Unlock()
	var missing []reconciler.CanaryInfo
	for _, info := range infos {
		id := info.Canary.ID()
		if _, ok := v.images[id]; ok {
			continue
		}
		if _, ok := v.imgErrs[id]; ok {
			continue
		}
		missing = append(missing, info)
	}
	if len(missing) == 0 {
		return
	}
	images, errs := reconciler.TargetImages(v.snap, v.provider, missing, v.memo)
	for _, info := range missing {
		id := info.Canary.ID()
		if err, ok := errs[id]; ok {
			v.imgErrs[id] = err
		} else {
			v.images[id] = images[id]
		}
	}
}

// imagesOf returns what findImages found of canary id.
func (v *view) imagesOf(id string) ([]string, error) {
	v.imgMu.Lock()
	defer v.imgMu.Unlock()
	return v.images[id], v.imgErrs[id]
}

// transitions returns the commits of canary id, oldest first.
func (v *view) transitions(ctx context.Context, repo *gitops.Repo, id string) ([]reconciler.Transition, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if e, ok := v.events[id]; ok {
		return e, nil
	}
	if v.head.IsZero() {
		return nil, nil
	}
	e, err := reconciler.Events(ctx, repo, v.head, id)
	if err != nil {
		return nil, err
	}
	v.events[id] = e
	return e, nil
}

// state is the latest view, the outcome of the last fetch and the signal
// of the next new head.
type state struct {
	mu       sync.Mutex
	cur      *view
	fetched  time.Time
	fetchErr error
	changed  chan struct{} // closed when the head changes
}

func newState() *state { return &state{changed: make(chan struct{})} }

// get returns the current view (nil before the first fetch), when the
// repository was last fetched, a channel closed at the next new head, and
// the last fetch's error.
func (s *state) get() (*view, time.Time, <-chan struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur, s.fetched, s.changed, s.fetchErr
}

// refresh fetches; a new head becomes the current view and wakes the
// waiting pages.
func (srv *Server) refresh(ctx context.Context) error {
	fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	head, err := srv.fetch.Fetch(fctx)
	cancel()
	if errors.Is(err, gitops.ErrBranchNotFound) {
		head, err = plumbing.ZeroHash, nil // no commit yet: nothing to show
	}
	now := srv.now()
	s := srv.state
	s.mu.Lock()
	s.fetched, s.fetchErr = now, err
	same := s.cur != nil && s.cur.head == head
	if err != nil && s.cur == nil {
		// Pages waiting for the first fetch show its error.
		close(s.changed)
		s.changed = make(chan struct{})
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if same {
		return nil
	}
	v, err := newView(srv.repo, head, srv.opts.Provider, srv.images, now)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.fetchErr = err
		return err
	}
	s.cur = v
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

// Watch fetches the repository every Options.Refresh until ctx ends,
// logging failures (the pages show the last one too).
func (srv *Server) Watch(ctx context.Context) {
	t := time.NewTicker(srv.opts.Refresh)
	defer t.Stop()
	for {
		if err := srv.refresh(ctx); err != nil && ctx.Err() == nil {
			srv.log.Error(err, "ui: fetch")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
