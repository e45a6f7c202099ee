package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gitcanary/gitcanary/fixtures/monorepo"
)

type size struct{ Apps, Commits int }

// Result is one line of the table: gitcanary doing a piece of work, and the
// git CLI doing the same Git work on the same repository.
type Result struct {
	Work    string  `json:"work"`
	Apps    int     `json:"apps"`
	Commits int     `json:"commits"`
	Seconds float64 `json:"seconds"`
	MiB     float64 `json:"mib"`
	Git     float64 `json:"gitSeconds,omitempty"`
	Ratio   float64 `json:"ratio,omitempty"`
}

// The pieces of work measured.
const (
	workIdle    = "idle pass"
	workStep    = "step pass"
	workFirst   = "first pass"
	workHistory = "history of 10,000 rollout commits"
	// describe reads what history does, and the canaries of the head.
	workDescribe = "describe, 10,000 rollout commits"
	// ui is the web UI's page of that canary, listing its rollouts.
	workUI = "UI canary page, 10,000 rollout commits"
	// The monorepo of the Helm figures has helmPercent% HelmRelease apps.
	workHelmFirst = "first pass, 10% HelmReleases"
	workHelmStep  = "HelmRelease step pass"
)

// repetitions of the timed work; the median is kept.
const repetitions = 5

// measure generates a monorepo of size s in dir and measures the work on it.
func measure(ctx context.Context, dir string, s size, steps int) ([]Result, error) {
	bare := filepath.Join(dir, "mono.git")
	if err := monorepo.Generate(bare, monorepo.Options{Apps: s.Apps, Commits: s.Commits}); err != nil {
		return nil, err
	}
	work := filepath.Join(dir, "gitcanary")
	clone := filepath.Join(dir, "clone")
	if err := cloneForCI(ctx, bare, clone); err != nil {
		return nil, err
	}
	row := func(work string, c childResult, gitSecs float64) Result {
		r := Result{Work: work, Apps: s.Apps, Commits: s.Commits, Seconds: c.Seconds, MiB: c.MiB, Git: gitSecs}
		if gitSecs > 0 {
			r.Ratio = c.Seconds / gitSecs
		}
		return r
	}
	var out []Result

	// First pass: clone, then initialize every canary.
	first, err := runChild(ctx, "first", bare, work, s.Apps)
	if err != nil {
		return nil, err
	}
	out = append(out, row(workFirst, first, 0))

	// Idle pass, against a no-op fetch and reading every canary file.
	idle, err := runChild(ctx, "idle", bare, work, 0)
	if err != nil {
		return nil, err
	}
	if _, err := git(ctx, clone, "pull", "-q"); err != nil {
		return nil, err
	}
	var batch bytes.Buffer
	for i := range s.Apps {
		fmt.Fprintf(&batch, "HEAD:%s/canary.yaml\nHEAD:%s/gitcanary/podinfo/status.yaml\n", monorepo.AppDir(i), monorepo.AppDir(i))
	}
	gitIdle, err := median(func() error {
		if _, err := git(ctx, clone, "fetch", "-q"); err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, "git", "cat-file", "--batch")
		cmd.Dir, cmd.Stdin, cmd.Stdout = clone, bytes.NewReader(batch.Bytes()), nil
		return cmd.Run()
	})
	if err != nil {
		return nil, err
	}
	out = append(out, row(workIdle, idle, gitIdle))

	// Step pass: CI bumps `steps` canaries (the git CLI's same work: the
	// edits, a commit each, one push), then one pass starts them all.
	gitStep, err := bump(ctx, clone, firstApps(steps, func(int) bool { return true }), "deployment.yaml", "podinfo:6.0.0", "podinfo:6.0.1")
	if err != nil {
		return nil, err
	}
	step, err := runChild(ctx, "step", bare, work, steps)
	if err != nil {
		return nil, err
	}
	out = append(out, row(workStep, step, gitStep))

	// History of a canary with 10,000 rollout commits, against git log
	// finding them.
	if err := monorepo.AppendTransitions(bare, monorepo.Namespace(0)+"/podinfo", 10000); err != nil {
		return nil, err
	}
	hist, err := runChild(ctx, "history", bare, work, 10000)
	if err != nil {
		return nil, err
	}
	gitHist, err := median(func() error {
		_, err := git(ctx, "", "--git-dir", bare, "log", "--format=%B", "--grep=^Canary: "+monorepo.Namespace(0)+"/podinfo$", "main")
		return err
	})
	if err != nil {
		return nil, err
	}
	out = append(out, row(workHistory, hist, gitHist))
	desc, err := runChild(ctx, "describe", bare, work, 10000)
	if err != nil {
		return nil, err
	}
	out = append(out, row(workDescribe, desc, gitHist))
	// The step pass's rollout, then those of the transitions.
	page, err := runChild(ctx, "ui", bare, work, 1+monorepo.TransitionRollouts(10000))
	if err != nil {
		return nil, err
	}
	out = append(out, row(workUI, page, 0))
	return out, nil
}

// helmPercent is the share of HelmRelease apps in the monorepo of the Helm
// figures.
const helmPercent = 10

// measureHelm generates a monorepo of size s in dir whose apps are
// helmPercent% HelmReleases of a chart in the repository, and measures its
// first pass and a step pass over `steps` HelmRelease apps whose CI bumped
// values.image.tag (next to the git CLI's same edits, commits and push).
func measureHelm(ctx context.Context, dir string, s size, steps int) ([]Result, error) {
	bare := filepath.Join(dir, "mono.git")
	o := monorepo.Options{Apps: s.Apps, Commits: s.Commits, HelmPercent: helmPercent}
	if err := monorepo.Generate(bare, o); err != nil {
		return nil, err
	}
	work, clone := filepath.Join(dir, "gitcanary"), filepath.Join(dir, "clone")
	if err := cloneForCI(ctx, bare, clone); err != nil {
		return nil, err
	}
	first, err := runChild(ctx, "first", bare, work, s.Apps)
	if err != nil {
		return nil, err
	}
	if _, err := git(ctx, clone, "pull", "-q"); err != nil { // the first pass's commits
		return nil, err
	}
	apps := firstApps(steps, o.Helm)
	gitStep, err := bump(ctx, clone, apps, monorepo.HelmValuesFile, "tag: 6.0.0", "tag: 6.0.1")
	if err != nil {
		return nil, err
	}
	step, err := runChild(ctx, "step", bare, work, len(apps))
	if err != nil {
		return nil, err
	}
	return []Result{
		{Work: workHelmFirst, Apps: s.Apps, Commits: s.Commits, Seconds: first.Seconds, MiB: first.MiB},
		{Work: workHelmStep, Apps: s.Apps, Commits: s.Commits, Seconds: step.Seconds, MiB: step.MiB, Git: gitStep, Ratio: step.Seconds / gitStep},
	}, nil
}

// firstApps returns the first n apps (at most) that keep says to.
func firstApps(n int, keep func(int) bool) []int {
	var apps []int
	for i := 0; len(apps) < n && i < n*100; i++ {
		if keep(i) {
			apps = append(apps, i)
		}
	}
	return apps
}

// bump is CI bumping apps in the clone, timed: in each app's file, from
// becomes to, committed once per app, and one push of them all.
func bump(ctx context.Context, clone string, apps []int, file, from, to string) (float64, error) {
	start := time.Now()
	for _, i := range apps {
		p := filepath.Join(clone, monorepo.AppDir(i), file)
		b, err := os.ReadFile(p)
		if err != nil {
			return 0, err
		}
		if !bytes.Contains(b, []byte(from)) {
			return 0, fmt.Errorf("%s: no %q to bump", p, from)
		}
		if err := os.WriteFile(p, bytes.Replace(b, []byte(from), []byte(to), 1), 0o644); err != nil {
			return 0, err
		}
		if _, err := git(ctx, clone, "commit", "-qam", "bump "+monorepo.Namespace(i)); err != nil {
			return 0, err
		}
	}
	if _, err := git(ctx, clone, "push", "-q"); err != nil {
		return 0, err
	}
	return time.Since(start).Seconds(), nil
}

// cloneForCI clones bare into clone as CI's checkout, with a committer.
func cloneForCI(ctx context.Context, bare, clone string) error {
	if _, err := git(ctx, "", "clone", "-q", bare, clone); err != nil {
		return err
	}
	for _, kv := range [][2]string{{"user.name", "CI"}, {"user.email", "ci@example.com"}} {
		if _, err := git(ctx, clone, "config", kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// childResult is what a child reports, with its own peak resident memory
// (getrusage of itself: not that of the git upload-pack or receive-pack a
// local remote runs as its child, which a clone of a long history makes
// the larger; the rusage of a waited-for child includes its descendants).
type childResult struct {
	Seconds float64 `json:"seconds"`
	Commits int     `json:"commits"`
	MiB     float64 `json:"mib"`
}

// runChild runs one piece of gitcanary's work in a child process and
// checks it made want commits (history: found want transitions).
func runChild(ctx context.Context, work, bare, workdir string, want int) (childResult, error) {
	self, err := os.Executable()
	if err != nil {
		return childResult{}, err
	}
	cmd := exec.CommandContext(ctx, self, "child", work, bare, workdir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return childResult{}, fmt.Errorf("%s: %v\n%s", work, err, stderr.String())
	}
	var r childResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return r, fmt.Errorf("%s: %v: %q", work, err, stdout.String())
	}
	if r.Commits != want {
		return r, fmt.Errorf("%s: %d commits, want %d\n%s", work, r.Commits, want, stderr.String())
	}
	return r, nil
}

// median runs f repetitions times and returns its median time in seconds.
func median(f func() error) (float64, error) {
	var ts []float64
	for range repetitions {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		ts = append(ts, time.Since(start).Seconds())
	}
	sort.Float64s(ts)
	return ts[len(ts)/2], nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}
