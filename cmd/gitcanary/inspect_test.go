package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/machine"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// recordedRollout builds a repository with a real rollout history, with
// fixed clocks so commit hashes and times are the same on every run: 6.0.1
// is promoted, 6.0.2 halts twice and is rolled back.
func recordedRollout(t *testing.T) string {
	t.Helper()
	return recordedRolloutOf(t, "", false)
}

// recordedRolloutOf is recordedRollout with the sample canary's weight
// steps replaced by steps ("" keeps them); with terminate, the canary has
// revertOnDeletion set, and is then deleted and terminated.
func recordedRolloutOf(t *testing.T, steps string, terminate bool) string {
	t.Helper()
	dir := sampleRepo(t)
	if steps != "" {
		edit(t, dir, "apps/podinfo/canary.yaml", "    maxWeight: 50\n    stepWeight: 10\n", steps)
	}
	if terminate {
		edit(t, dir, "apps/podinfo/canary.yaml", "spec:\n", "spec:\n  revertOnDeletion: true\n")
	}
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
	measure := func(context.Context, *api.Canary, analysis.TemplateLookup, time.Time) ([]machine.Check, error) {
		if healthy {
			return []machine.Check{
				{Metric: "request-success-rate", Passed: true, Summary: "request-success-rate 99.95% >= 99%"},
				{Metric: "request-duration", Passed: true, Summary: "request-duration 212ms <= 500ms"},
			}, nil
		}
		return []machine.Check{
			{Metric: "request-success-rate", Halt: "Halt podinfo.test advancement success rate 69.17% < 99%", Summary: "request-success-rate 69.17% < 99%"},
			{Metric: "request-duration", Passed: true, Summary: "request-duration 230ms <= 500ms"},
		}, nil
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
	if terminate {
		ci("pull", "-q", remote, "main")
		now = now.Add(time.Minute)
		ci("rm", "-q", "apps/podinfo/canary.yaml")
		ci("commit", "-qm", "delete the podinfo canary")
		ci("push", "-q", remote, "main")
		pass(1)
	}
	clone := filepath.Join(t.TempDir(), "clone")
	git(t, "", "clone", "-q", remote, clone)
	return clone
}

func TestReadCommandsGolden(t *testing.T) {
	readCommandsGolden(t, recordedRollout(t), []struct{ name, args string }{
		{"get", "get canaries"},
		{"get-ns", "get canaries -n test"},
		{"get-json", "get canaries -A -o json"},
		{"describe", "describe canary podinfo -n test"},
		{"describe-yaml", "describe canary podinfo -o yaml"},
		{"history", "history podinfo"},
		{"history-json", "history podinfo -n test -o json"},
	})
}

// TestReadCommandsShowIterations: describe and history of a blue/green
// release show its iterations, per commit and per rollout.
func TestReadCommandsShowIterations(t *testing.T) {
	readCommandsGolden(t, recordedRolloutOf(t, "    iterations: 3\n", false), []struct{ name, args string }{
		{"describe-bluegreen", "describe canary podinfo -n test"},
		{"history-bluegreen", "history podinfo"},
	})
}

// readCommandsGolden compares the output of each command run on clone
// with its golden file in testdata/.
func readCommandsGolden(t *testing.T, clone string, cases []struct{ name, args string }) {
	t.Helper()
	for _, tc := range cases {
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

// A terminated canary is gone from the branch, but not from Git: history
// and describe read it as the last commit that held it had it, with the
// termination as its last event; get lists what the branch holds.
func TestTerminatedCanaryKeepsItsHistory(t *testing.T) {
	clone := recordedRolloutOf(t, "", true)
	if got := strings.TrimSpace(git(t, clone, "log", "-1", "--format=%s")); got != "Terminated canary podinfo.test" {
		t.Fatalf("last commit %q, want the termination", got)
	}
	term := strings.TrimSpace(git(t, clone, "rev-parse", "--short=7", "HEAD"))

	out, err := gitcanary(t, "history", "podinfo", "--dir", clone)
	if err != nil || !strings.Contains(out, "   Succeeded   ") || !strings.Contains(out, "   Failed      2 ") || strings.Contains(out, "Terminated") {
		t.Errorf("history of the terminated canary (two rollouts, the termination at rest in neither): %v\n%s", err, out)
	}
	out, err = gitcanary(t, "describe", "canary", "podinfo", "-n", "test", "--dir", clone)
	for _, want := range []string{
		`\nFile: +apps/podinfo/canary.yaml \(flagger.app/v1beta1\), deleted: terminated in ` + term + `\n`,
		`\n +Phase: +Terminated\n`,
		`\n +2026-11-22T10:05:50Z +` + term + ` +Terminated +0 +Terminated canary podinfo.test\n`,
	} {
		if err != nil || !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("describe does not match %q: %v\n%s", want, err, out)
		}
	}
	out, err = gitcanary(t, "describe", "canary", "podinfo", "--dir", clone, "-o", "json")
	if err != nil || !strings.Contains(out, `"gitcanary.dev/terminated": "`+strings.TrimSpace(git(t, clone, "rev-parse", "HEAD"))+`"`) {
		t.Errorf("describe -o json does not name the termination commit: %v\n%s", err, out)
	}
	if out, err := gitcanary(t, "get", "canaries", "--dir", clone); err != nil || strings.Contains(out, "podinfo") {
		t.Errorf("get lists a terminated canary: %v\n%s", err, out)
	}
	if out, err := gitcanary(t, "history", "podinfo", "-n", "prod", "--dir", clone); err == nil || !strings.Contains(err.Error(), "canary podinfo not found in namespace prod") {
		t.Errorf("another namespace: %v\n%s", err, out)
	}
}

func TestReadCommandsSayHowOldTheirViewIs(t *testing.T) {
	clone := recordedRollout(t)
	git(t, clone, "reset", "-q", "--hard", "HEAD~3") // the clone is behind its origin

	out, err := gitcanary(t, "get", "canaries", "--dir", clone)
	if err != nil || !strings.Contains(out, "test        podinfo   Failed   0        2              2026-11-22T10:04:40Z") || strings.Contains(out, "Reading the clone") {
		t.Errorf("a clone with an origin is read as its origin is now:\n%s", out)
	}
	out, err = gitcanary(t, "get", "canaries", "--dir", clone, "--fetch=false")
	head := strings.TrimSpace(git(t, clone, "rev-parse", "--short", "HEAD"))
	note := "Reading the clone at " + clone + " as it is: HEAD " + head + " (main), committed 2026-11-22T10:04:10Z ("
	if err != nil || !strings.HasPrefix(out, note) || !strings.Contains(out, " ago); last fetched from origin ") ||
		!strings.Contains(out, "test        podinfo   Progressing   10       0              2026-11-22T10:04:10Z") {
		t.Errorf("--fetch=false reads the clone and says how old it is:\n%s", out)
	}
	git(t, clone, "remote", "remove", "origin")
	out, err = gitcanary(t, "history", "podinfo", "--dir", clone)
	if err != nil || !strings.Contains(out, "ago); it has no origin to fetch from\n") || !strings.Contains(out, "985c0282   2026-11-22T10:04:00Z   10s        Progressing") {
		t.Errorf("a clone without origin is read as it is:\n%s", out)
	}
	if out, err := gitcanary(t, "get", "canaries", "--dir", clone, "--fetch"); err == nil || err.Error() != "--fetch: the clone at "+clone+" has no origin remote" {
		t.Errorf("--fetch without origin: %v\n%s", err, out)
	}
}

func TestPausedIsVisible(t *testing.T) {
	clone := recordedRollout(t)
	p := filepath.Join(clone, "apps/podinfo/gitcanary/podinfo/status.yaml")
	edit(t, clone, "apps/podinfo/gitcanary/podinfo/status.yaml", "  failedRevision:", "  paused: true\n  pausedBy: Jane Doe <jane@example.com>\n  pausedAt: \"2026-11-22T10:05:00Z\"\n  failedRevision:")
	if _, err := api.UnmarshalStatus(p, mustRead(t, p), time.Now()); err != nil {
		t.Fatal(err)
	}
	git(t, clone, "commit", "-qam", "pause by hand")
	out, err := gitcanary(t, "get", "canaries", "--dir", clone, "--fetch=false")
	if err != nil || !strings.Contains(out, "test        podinfo   Failed (paused)   0        2              2026-11-22T10:04:40Z") {
		t.Errorf("get:\n%s", out)
	}
	out, err = gitcanary(t, "describe", "canary", "podinfo", "--dir", clone, "--fetch=false")
	if err != nil || !strings.Contains(out, "  Paused:                 by Jane Doe <jane@example.com> at 2026-11-22T10:05:00Z (gitcanary resume podinfo -n test goes on)\n") {
		t.Errorf("describe:\n%s", out)
	}
}

func TestEmptyResults(t *testing.T) {
	clone := recordedRollout(t)
	for args, want := range map[string]string{
		"get canaries -n prod":         "No canaries found in namespace prod\n",
		"get canaries -n prod -o json": "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": []\n}\n",
		"get canaries -n prod -o yaml": "apiVersion: v1\nitems: []\nkind: List\n",
	} {
		if out, err := gitcanary(t, append(strings.Fields(args), "--dir", clone)...); err != nil || out != want {
			t.Errorf("%s: %v\n%q, want %q", args, err, out, want)
		}
	}
	git(t, clone, "rm", "-q", "apps/podinfo/canary.yaml")
	git(t, clone, "commit", "-qm", "no canary")
	if out, err := gitcanary(t, "get", "canaries", "--dir", clone, "--fetch=false"); err != nil || !strings.HasSuffix(out, "\nNo canaries found\n") {
		t.Errorf("no canary: %v\n%s", err, out)
	}
	git(t, clone, "reset", "-q", "--hard", "HEAD~16") // the initialized canary, before any rollout
	if out, err := gitcanary(t, "history", "podinfo", "--dir", clone, "--fetch=false"); err != nil || !strings.HasSuffix(out, "\nNo rollouts found for canary podinfo.test\n") {
		t.Errorf("no rollout: %v\n%s", err, out)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// CI checks out with depth 1 by default: the read commands show what the
// shallow clone holds and say the history is partial.
func TestReadCommandsInAShallowClone(t *testing.T) {
	clone := recordedRollout(t)
	shallow := filepath.Join(t.TempDir(), "shallow")
	git(t, "", "clone", "-q", "--depth", "6", "file://"+clone, shallow)
	for _, tc := range []struct{ args, want, older string }{
		// Only the 6.0.2 rollout is in the last 6 commits; 6.0.1's is not.
		{"history podinfo", "985c0282 2026-11-22T10:04:00Z 40s Failed 2", "b24b6aa7"},
		{"describe canary podinfo", "Failed 0 Rolling back podinfo.test failed checks threshold reached 2", "Initialization done!"},
	} {
		// --fetch=false: read the shallow clone itself, not its origin.
		out, err := gitcanary(t, append(strings.Fields(tc.args), "--dir", shallow, "--fetch=false")...)
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
