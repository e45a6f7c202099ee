package reconciler

import (
	"context"
	"fmt"
	"sync"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// aheadDepth is how many canaries the lookahead may observe ahead of the
// pass: enough to keep the render turn busy while the pass commits, few
// enough that the observations held stay small.
const aheadDepth = 4

// lookahead observes, on a goroutine of its own, the canaries the pass will
// render next, while the pass decides, edits, checks and commits the ones
// before them. kustomize renders one app at a time in a process
// (gitops.Render), but a pass that commits for many canaries (the first
// one of a monorepo, a burst of CI bumps) spends as long again outside
// renders, building trees and hashing: the two then share the machine's
// cores.
//
// Each observation is made on the snapshot the lookahead started from. The
// pass uses it only when the files it read (its inputs, by blob hash) are
// the same in the commit the pass has reached; else it observes again: an
// earlier canary's commit may have changed them (two canaries of one app
// share the kustomization each wires).
type lookahead struct {
	snap   *gitops.Snapshot
	index  map[*api.Canary]int
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	cond sync.Cond
	pos  int // the candidate the pass is at: none before it is observed
	res  []aheadResult
	stop bool
}

type aheadResult struct {
	ready  bool
	ob     *observed
	digest string // of ob's inputs in snap
	err    error
}

// startLookahead observes the canaries of list on snap, in order, at most
// aheadDepth ahead of the candidate the pass has reached (reach).
func (r *Reconciler) startLookahead(ctx context.Context, snap *gitops.Snapshot, list []*api.Canary) *lookahead {
	ctx, cancel := context.WithCancel(ctx)
	la := &lookahead{snap: snap, index: make(map[*api.Canary]int, len(list)), cancel: cancel, done: make(chan struct{}), res: make([]aheadResult, len(list))}
	la.cond.L = &la.mu
	for i, c := range list {
		la.index[c] = i
	}
	go func() {
		defer close(la.done)
		fsys := gitops.NewFS(snap) // observe forks it: never written
		for i, c := range list {
			la.mu.Lock()
			for !la.stop && i >= la.pos+aheadDepth {
				la.cond.Wait()
			}
			stop, passed := la.stop, i < la.pos
			la.mu.Unlock()
			if stop {
				return
			}
			if passed {
				continue
			}
			res := la.observe(ctx, r, fsys, c)
			if res.err == nil {
				res.digest = inputsDigest(snap, nil, res.ob.paths)
			}
			la.mu.Lock()
			la.res[i] = res
			la.cond.Broadcast()
			la.mu.Unlock()
		}
	}()
	return la
}

// observe observes c on the lookahead's snapshot. A panic (a bug met by
// some input) is only an observation not made: the pass observes c
// itself, and isolates the canary if it panics again.
func (la *lookahead) observe(ctx context.Context, r *Reconciler, fsys *gitops.FS, c *api.Canary) (res aheadResult) {
	res.ready = true
	defer func() {
		if p := recover(); p != nil {
			res.ob, res.err = nil, fmt.Errorf("internal error: %v", p)
		}
	}()
	observe := r.observe
	if r.lookObserve != nil {
		observe = r.lookObserve
	}
	res.ob, res.err = observe(ctx, la.snap, fsys, c)
	return res
}

// reach tells the lookahead the pass is at canary c: the observations of
// the candidates before it are dropped, and it may observe up to
// aheadDepth candidates from c on.
func (la *lookahead) reach(c *api.Canary) {
	i, ok := la.index[c]
	if !ok {
		return
	}
	la.mu.Lock()
	for j := la.pos; j < i; j++ {
		la.res[j] = aheadResult{}
	}
	la.pos = i
	la.cond.Broadcast()
	la.mu.Unlock()
}

// take returns the observation of c made ahead, waiting for it, when its
// inputs are unchanged in snap with fsys's edits; nil when there is none
// to use (the pass observes c itself).
func (la *lookahead) take(snap *gitops.Snapshot, fsys *gitops.FS, c *api.Canary) *observed {
	i, ok := la.index[c]
	if !ok {
		return nil
	}
	la.mu.Lock()
	for !la.res[i].ready && !la.stop && i >= la.pos {
		la.cond.Wait()
	}
	res := la.res[i]
	la.res[i] = aheadResult{}
	la.mu.Unlock()
	if !res.ready || res.err != nil {
		// An error is told by the pass's own observation, in its words
		// and on its snapshot.
		return nil
	}
	if inputsDigest(snap, fsys.Changes(), res.ob.paths) != res.digest {
		return nil
	}
	return res.ob
}

// close stops the lookahead and waits for its goroutine: a render under
// way when the pass ends is abandoned (see gitops.RenderWith).
func (la *lookahead) close() {
	if la == nil {
		return
	}
	la.mu.Lock()
	la.stop = true
	la.cond.Broadcast()
	la.mu.Unlock()
	la.cancel()
	<-la.done
}

// observeAhead is observe, served by the pass's lookahead when it observed
// c already on inputs still the same.
func (r *Reconciler) observeAhead(ctx context.Context, snap *gitops.Snapshot, fsys *gitops.FS, c *api.Canary) (*observed, error) {
	if r.ahead != nil {
		if ob := r.ahead.take(snap, fsys, c); ob != nil {
			r.aheadUsed++
			return ob, nil
		}
	}
	return r.observe(ctx, snap, fsys, c)
}

// lookaheadFor lists the canaries of rest (those after the one the pass
// just rendered) that the pass will render as things stand: its own canaries (shard), not deleted, whose gate asks
// for a render on snap. Nil when there are fewer than two: one render has
// nothing to overlap with.
func (r *Reconciler) lookaheadFor(snap *gitops.Snapshot, fsys *gitops.FS, rest []*api.Canary, deleted map[*api.Canary]deletedCanary) []*api.Canary {
	var list []*api.Canary
	for _, c := range rest {
		if _, gone := deleted[c]; gone || !r.inShard(c) {
			continue
		}
		if g, err := r.gate(snap, fsys, c); err == nil && g.skip == "" {
			list = append(list, c)
		}
	}
	if len(list) < 2 {
		return nil
	}
	return list
}
