package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/go-logr/logr"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/fixtures/monorepo"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/machine"
)

// child does one piece of gitcanary's work — first, idle, step or history
// — on the bare repository with the workdir, and writes a childResult.
func child(args []string) error {
	if len(args) != 3 {
		return errors.New("want: child WORK BARE WORKDIR")
	}
	work, bare, workdir := args[0], args[1], args[2]
	ctx := context.Background()
	if p := os.Getenv("GITCANARY_BENCH_CPUPROFILE"); p != "" {
		f, err := os.Create(p + "." + work)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if p := os.Getenv("GITCANARY_BENCH_PEAKPROFILE"); p != "" {
		stop := make(chan struct{})
		defer close(stop)
		go watchPeak(p+"."+work, stop)
	}
	opts := reconciler.DefaultOptions()
	// A clone of the 200,000-commit repository takes minutes on a loaded
	// machine: it is not what is measured.
	opts.Repo = gitops.RepoOptions{URL: bare, Branch: "main", Workdir: workdir, Timeout: 15 * time.Minute, Author: gitops.Signature{Name: "gitcanary", Email: "gitcanary@example.com"}}
	repo, err := gitops.OpenRepo(ctx, opts.Repo)
	if err != nil {
		return err
	}
	defer repo.Close()
	noMetrics := func(context.Context, *api.Canary, analysis.TemplateLookup, time.Time) ([]machine.Check, error) {
		return nil, nil
	}
	r, err := reconciler.New(repo, opts, logr.Discard(), noMetrics, nil)
	if err != nil {
		return err
	}
	pass := func() (int, error) {
		res, err := r.Pass(ctx)
		if err == nil && len(res.Errors) > 0 {
			err = errors.Join(res.Errors...)
		}
		return res.Commits, err
	}
	if p := os.Getenv("GITCANARY_BENCH_MEMPROFILE"); p != "" {
		defer func() {
			if f, err := os.Create(p + "." + work); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	var out childResult
	switch work {
	case "first", "step":
		start := time.Now()
		if out.Commits, err = pass(); err != nil {
			return err
		}
		out.Seconds = time.Since(start).Seconds()
	case "idle":
		if n, err := pass(); err != nil || n != 0 {
			return fmt.Errorf("warm-up pass: %d commits, %v", n, err)
		}
		out.Seconds, err = median(func() error {
			n, err := pass()
			if err == nil && n != 0 {
				err = fmt.Errorf("an idle pass made %d commits", n)
			}
			return err
		})
		if err != nil {
			return err
		}
	case "history":
		head := repo.Head()
		id := monorepo.Namespace(0) + "/podinfo"
		out.Seconds, err = median(func() error {
			events, err := reconciler.Events(ctx, repo, head, id)
			out.Commits = len(events)
			return err
		})
		if err != nil {
			return err
		}
		// Only the appended transitions, not the step pass's commits.
		out.Commits -= 2
	default:
		return fmt.Errorf("unknown work %q", work)
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return err
	}
	out.MiB = float64(ru.Maxrss) / 1024 // KiB on Linux
	return json.NewEncoder(os.Stdout).Encode(out)
}
