package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
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
	"github.com/gitcanary/gitcanary/reconciler/ui"
)

// rolloutLink is a link of the UI's canary page to one of its rollouts.
var rolloutLink = regexp.MustCompile(`/rollouts/([0-9a-f]{7,40})`)

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
	case "describe":
		// What `gitcanary describe canary` reads: the canaries of the
		// head, then the canary's events.
		out.Seconds, err = median(func() error {
			snap, err := repo.Snapshot(repo.Head())
			if err != nil {
				return err
			}
			infos, _ := reconciler.ListCanaries(snap, opts.Provider, time.Now())
			info, err := reconciler.FindCanary(infos, monorepo.Namespace(0), "podinfo")
			if err != nil {
				return err
			}
			events, err := reconciler.Events(ctx, repo, repo.Head(), info.Namespace+"/"+info.Name)
			out.Commits = len(events) - 2
			return err
		})
		if err != nil {
			return err
		}
	case "ui":
		// The canary's page of the web UI, its rollouts listed, from a
		// server that has read nothing yet (a new one each time: the UI
		// keeps what it read for the head).
		out.Seconds, err = median(func() error {
			srv, err := ui.New(repo, ui.HeadOf(repo), ui.DefaultOptions(), logr.Discard())
			if err != nil {
				return err
			}
			wctx, stop := context.WithCancel(ctx)
			defer stop()
			go srv.Watch(wctx) // reads the head, as Serve has it do
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequestWithContext(wctx, http.MethodGet, "/canaries/"+monorepo.Namespace(0)+"/podinfo", nil))
			if rec.Code != http.StatusOK {
				return fmt.Errorf("the canary page: HTTP %d: %s", rec.Code, rec.Body.String())
			}
			// The rollouts the page lists, one link each.
			links := map[string]bool{}
			for _, m := range rolloutLink.FindAllStringSubmatch(rec.Body.String(), -1) {
				links[m[1]] = true
			}
			out.Commits = len(links)
			return nil
		})
		if err != nil {
			return err
		}
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
