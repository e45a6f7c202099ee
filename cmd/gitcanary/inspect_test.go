package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// recordedRollout builds a repository with a real rollout history, with
// fixed clocks so commit hashes and times are the same on every run: 6.0.1
// is promoted, 6.0.2 halts twice and is rolled back.
func recordedRollout(t *testing.T) string {
	t.Helper()
	dir := sampleRepo(t)
	remote := filepath.Join(t.TempDir(), "remote.git")
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	ci := func(args ...string) {
		t.Helper()
		t.Setenv("GIT_AUTHOR_DATE", now.Format(time.RFC3339))
		t.Setenv("GIT_COMMITTER_DATE", now.Format(time.RFC3339))
		git(t, dir, args...)
	}
	git(t, "", "init", "-q", "--bare", "-b", "main", remote)
	ci("init", "-q", "-b", "main")
	ci("add", "-A")
	ci("commit", "-qm", "podinfo app")
	ci("push", "-q", remote, "main")

	opts := reconciler.DefaultOptions()
	opts.Repo = gitops.RepoOptions{URL: remote, Branch: "main", Workdir: filepath.Join(t.TempDir(), "work"), Author: gitops.Signature{Name: "gitcanary", Email: "gitcanary@example.com"}}
	repo, err := gitops.OpenRepo(context.Background(), opts.Repo)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	healthy := true
	measure := func(context.Context, *api.Canary, analysis.TemplateLookup, time.Time) []reconciler.Check {
		if healthy {
			return []reconciler.Check{
				{Metric: "request-success-rate", Passed: true, Summary: "request-success-rate 99.95% >= 99%"},
				{Metric: "request-duration", Passed: true, Summary: "request-duration 212ms <= 500ms"},
			}
		}
		return []reconciler.Check{
			{Metric: "request-success-rate", Halt: "Halt podinfo.test advancement success rate 69.17% < 99%", Summary: "request-success-rate 69.17% < 99%"},
			{Metric: "request-duration", Passed: true, Summary: "request-duration 230ms <= 500ms"},
		}
	}
	rec, err := reconciler.New(repo, opts, logr.Discard(), measure, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	pass := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			now = now.Add(10 * time.Second)
			res, err := rec.Pass(context.Background())
			if err != nil || len(res.Errors) > 0 {
				t.Fatal(err, res.Errors)
			}
		}
	}
	bump := func(tag string) {
		t.Helper()
		ci("pull", "-q", remote, "main")
		edit(t, dir, "apps/podinfo/deployment.yaml", "podinfo:6.0.", "podinfo:"+tag+" #")
		now = now.Add(time.Minute)
		ci("commit", "-qam", "bump podinfo to "+tag)
		ci("push", "-q", remote, "main")
	}
	pass(1)
	bump("6.0.1")
	pass(10)
	bump("6.0.2")
	healthy = false
	pass(5)
	clone := filepath.Join(t.TempDir(), "clone")
	git(t, "", "clone", "-q", remote, clone)
	return clone
}

func TestReadCommandsGolden(t *testing.T) {
	clone := recordedRollout(t)
	for _, tc := range []struct{ name, args string }{
		{"get", "get canaries"},
		{"get-ns", "get canaries -n test"},
		{"get-json", "get canaries -A -o json"},
		{"describe", "describe canary podinfo -n test"},
		{"describe-yaml", "describe canary podinfo -o yaml"},
		{"history", "history podinfo"},
		{"history-json", "history podinfo -n test -o json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := gitcanary(t, append(strings.Fields(tc.args), "--dir", clone)...)
			if err != nil {
				t.Fatalf("%s: %v\n%s", tc.args, err, out)
			}
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/gitcanary -update)", err)
			}
			if out != string(want) {
				t.Errorf("gitcanary %s:\n%s\nwant:\n%s", tc.args, out, want)
			}
		})
	}
}

func TestReadCommandsErrors(t *testing.T) {
	clone := recordedRollout(t)
	for args, want := range map[string]string{
		"describe canary nope":    "canary nope not found",
		"history podinfo -n prod": "canary podinfo not found in namespace prod",
		"get canaries -o xml":     `--output must be table, json or yaml, got "xml"`,
	} {
		if out, err := gitcanary(t, append(strings.Fields(args), "--dir", clone)...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q\n%s", args, err, want, out)
		}
	}
}

// CI checks out with depth 1 by default: the read commands show what the
// shallow clone holds and say the history is partial.
func TestReadCommandsInAShallowClone(t *testing.T) {
	clone := recordedRollout(t)
	shallow := filepath.Join(t.TempDir(), "shallow")
	git(t, "", "clone", "-q", "--depth", "6", "file://"+clone, shallow)
	for _, tc := range []struct{ args, want, older string }{
		// Only the 6.0.2 rollout is in the last 6 commits; 6.0.1's is not.
		{"history podinfo", "985c0282 2026-11-22T10:04:00Z 40s Failed 2 9b69268 880b3c6", "7fc3592"},
		{"describe canary podinfo", "2026-11-22T10:04:40Z 880b3c6 Failed 0 Rolling back podinfo.test failed checks threshold reached 2", "7fc3592"},
	} {
		out, err := gitcanary(t, append(strings.Fields(tc.args), "--dir", shallow)...)
		if err != nil {
			t.Fatalf("%s in a shallow clone: %v\n%s", tc.args, err, out)
		}
		words := strings.Join(strings.Fields(out), " ")
		if !strings.Contains(words, tc.want) || !strings.Contains(out, "warning: partial history") || !strings.Contains(out, "git fetch --unshallow") {
			t.Errorf("%s in a shallow clone:\n%s\nwant %q and a warning that the history is partial", tc.args, out, tc.want)
		}
		if strings.Contains(out, tc.older) {
			t.Errorf("%s shows a commit older than the clone:\n%s", tc.args, out)
		}
	}
}
