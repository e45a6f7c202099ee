package gitops

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"sigs.k8s.io/kustomize/api/krusty"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ErrRenderTimeout means a render did not finish within its timeout, or
// could not start because another render held kustomize that long.
var ErrRenderTimeout = errors.New("render timed out")

// kustomize fills shared global tables without a lock
// (kubernetes-sigs/kustomize#4824) and sets the OpenAPI schema of a build
// globally, so renders in one process (the reconciler next to the demo's
// Flux stand-in) take turns: renderTurn holds the one turn. krusty cannot be
// cancelled, so a render past its timeout is abandoned, not stopped: its
// file system fails every later access, which ends most renders at once,
// and it keeps the turn until kustomize returns. Whoever waits for the turn
// waits no longer than its own timeout, and then hears which render holds
// it. The bounds on input are what keep a render short.
var (
	renderTurn    = make(chan struct{}, 1)
	renderHolder  sync.Mutex
	renderHeldBy  string
	renderHeldFor time.Time
)

// Render builds the kustomization in dir of fsys as Flux's
// kustomize-controller does (no load restrictions, plugins and Helm charts
// disabled) and returns the resulting objects, with the [RenderOptions] of
// fsys's repository when fsys is an [FS] over one of its snapshots, else
// the defaults. See [RenderWith].
func Render(fsys filesys.FileSystem, dir string) ([]*yaml.RNode, error) {
	var o RenderOptions
	if f, ok := fsys.(*FS); ok && f.snap != nil && f.snap.repo != nil {
		o = f.snap.repo.opts.Render
	}
	return RenderWith(context.Background(), fsys, dir, o)
}

// RenderWith builds the kustomization in dir of fsys as Flux's
// kustomize-controller does and returns the resulting objects.
//
// Every file the render reads is bounded by o.Limits before kustomize
// parses it (size, YAML alias expansion; all reads together), as is the
// output; excess is an error wrapping [ErrTooLarge] that names the file. The
// render is bounded by o.Timeout and ctx ([ErrRenderTimeout]).
//
// Remote bases (git URLs in resources) are cloned by kustomize into the
// temporary directory and read from there, as in Flux; every clone is
// removed when the render ends. With o.NoRemoteBases a kustomization naming
// a remote resource is refused before anything is fetched
// ([ErrRemoteBase], naming the kustomization and the entry).
func RenderWith(ctx context.Context, fsys filesys.FileSystem, dir string, o RenderOptions) ([]*yaml.RNode, error) {
	o = o.withDefaults()
	ctx, cancel := context.WithTimeoutCause(ctx, o.Timeout, errRenderDeadline)
	defer cancel()
	rfs := newRenderFS(fsys, o)
	if o.NoRemoteBases {
		if err := refuseRemote(rfs, dir); err != nil {
			return nil, fmt.Errorf("render %s: %w", dir, err)
		}
	}
	select {
	case renderTurn <- struct{}{}:
	case <-ctx.Done():
		renderHolder.Lock()
		holder := fmt.Sprintf("waiting for the render of %s, running for %s", renderHeldBy, time.Since(renderHeldFor).Round(time.Millisecond))
		renderHolder.Unlock()
		return nil, renderInterrupted(ctx, dir, o.Timeout, holder)
	}
	renderHolder.Lock()
	renderHeldBy, renderHeldFor = dir, time.Now()
	renderHolder.Unlock()
	rfs.start()

	type result struct {
		objs []*yaml.RNode
		err  error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-renderTurn }()
		defer rfs.removeClones()
		objs, err := krustyRun(rfs, dir, o.Limits.OutputBytes)
		done <- result{objs, err}
	}()
	select {
	case res := <-done:
		if err := rfs.refusal(); err != nil && res.err != nil {
			return nil, fmt.Errorf("render %s: %w", dir, err) // rather than kustomize's retelling
		}
		if res.err != nil {
			return nil, fmt.Errorf("render %s: %w", dir, res.err)
		}
		return res.objs, nil
	case <-ctx.Done():
		rfs.abandoned.Store(true)
		return nil, renderInterrupted(ctx, dir, o.Timeout, "")
	}
}

// renderInterrupted explains a render that ctx ended: its own timeout
// ([ErrRenderTimeout]) or the caller's context; what names what the render
// was doing, if not kustomize's work.
func renderInterrupted(ctx context.Context, dir string, timeout time.Duration, what string) error {
	if what != "" {
		what = ", " + what
	}
	if cause := context.Cause(ctx); !errors.Is(cause, errRenderDeadline) {
		return fmt.Errorf("render %s: %w%s", dir, cause, what)
	}
	return fmt.Errorf("render %s: %w after %s%s", dir, ErrRenderTimeout, timeout, what)
}

// errRenderDeadline is the cause of a render's own timeout.
var errRenderDeadline = errors.New("render deadline")

// krustyRun runs kustomize on fsys, turning a panic (kustomize panics on
// some malformed input) into an error, and bounds the output.
func krustyRun(fsys filesys.FileSystem, dir string, maxOutput int64) (objs []*yaml.RNode, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kustomize failed: %v", r)
		}
	}()
	k := krusty.MakeKustomizer(&krusty.Options{
		LoadRestrictions: kustypes.LoadRestrictionsNone,
		PluginConfig:     kustypes.DisabledPluginConfig(),
	})
	m, err := k.Run(fsys, dir)
	if err != nil {
		return nil, err
	}
	objs = m.ToRNodeSlice()
	var size int64
	for _, o := range objs {
		size += nodeSize(o.YNode())
	}
	if size > maxOutput {
		return nil, fmt.Errorf("%w: the rendered objects take about %d bytes, more than %d", ErrTooLarge, size, maxOutput)
	}
	return objs, nil
}

// nodeSize is about what n takes as YAML: [CheckYAML]'s cost of its nodes
// and scalars. Rendered objects hold no aliases.
func nodeSize(n *yaml.Node) int64 {
	size := nodeCost + int64(len(n.Value))
	for _, c := range n.Content {
		size += nodeSize(c)
	}
	return size
}
