package ui

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/fixtures"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// world is a config repository on disk holding the sample podinfo canary
// (interval 10s, step 10, max 50, threshold 2), CI pushing to it with the
// git CLI, and the real reconciler on a test clock. Its metrics come from
// a Querier answering the builtin Istio queries with the values the test
// sets, judged by the real analysis.
type world struct {
	t    *testing.T
	bare string
	ci   string
	now  time.Time
	rec  *reconciler.Reconciler

	mu sync.Mutex
	// rates are the success rates (%) the next checks measure, one each;
	// the last one stays. latency is the p99 duration (ms).
	rates   []float64
	latency float64
	// primary, when set, is the success rate (%) the primary's queries
	// measure, the baseline of a comparison.
	primary float64
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newWorld makes the world; edit, when set, changes the canary file
// before the first commit, and options configure the reconciler.
func newWorld(t *testing.T, edit func(canary string) string, options ...reconciler.Option) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{t: t, bare: filepath.Join(dir, "config.git"), ci: filepath.Join(dir, "ci"), now: t0, rates: []float64{100}, latency: 20}
	Git(t, dir, "init", "-q", "--bare", "-b", "main", w.bare)
	Git(t, dir, "clone", "-q", w.bare, w.ci)
	if err := os.CopyFS(w.ci, fixtures.ConfigRepo()); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		p := filepath.Join(w.ci, "apps/podinfo/canary.yaml")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(edit(string(b))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w.push("podinfo app with an Istio canary", "CI")

	opts := reconciler.DefaultOptions()
	opts.Repo = gitops.RepoOptions{URL: w.bare, Branch: "main", Workdir: filepath.Join(dir, "gitcanary"), Author: gitops.DefaultAuthor}
	repo, err := gitops.OpenRepo(context.Background(), opts.Repo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	prometheus := analysis.QuerierFunc(func(_ context.Context, q string, _ time.Time) (float64, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch {
		case strings.Contains(q, "timestamp("): // a sync gate: true since the last commit
			return unix(w.now.Add(-10 * time.Second)), nil
		case strings.Contains(q, "istio_request_duration_milliseconds_bucket"):
			return w.latency, nil
		case w.primary != 0 && strings.Contains(q, `destination_workload=~"podinfo-primary"`):
			return w.primary, nil
		}
		rate := w.rates[0]
		if len(w.rates) > 1 {
			w.rates = w.rates[1:]
		}
		return rate, nil
	})
	measure := reconciler.Measure(analysis.NewEvaluator(prometheus))
	options = append(options, reconciler.WithQuerier(prometheus))
	if w.rec, err = reconciler.New(repo, opts, logr.Discard(), measure, func() time.Time { return w.now }, options...); err != nil {
		t.Fatal(err)
	}
	w.pass() // Initialization done!
	return w
}

// Git runs the git CLI in dir as CI would, with no user configuration.
func Git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := gitOut(dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// gitOut is Git for a goroutine that is not the test's.
func gitOut(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_EMAIL=ci@example.com", "GIT_COMMITTER_NAME=CI", "GIT_COMMITTER_EMAIL=ci@example.com")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// push commits everything in CI's clone as author and pushes.
func (w *world) push(msg, author string) {
	w.t.Helper()
	Git(w.t, w.ci, "add", "-A")
	Git(w.t, w.ci, "-c", "user.name="+author, "commit", "-q", "--author", author+" <ci@example.com>", "--date", w.now.Format(time.RFC3339), "-m", msg)
	Git(w.t, w.ci, "push", "-q", "origin", "main")
}

var imageTag = regexp.MustCompile(`podinfo:[0-9.]+`)

// bump sets podinfo's image tag, as CI does.
func (w *world) bump(tag string) {
	w.t.Helper()
	Git(w.t, w.ci, "pull", "-q", "--ff-only")
	p := filepath.Join(w.ci, "apps/podinfo/deployment.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, imageTag.ReplaceAll(b, []byte("podinfo:"+tag)), 0o644); err != nil {
		w.t.Fatal(err)
	}
	w.push("Bump podinfo to "+tag, "CI")
}

// metrics sets what the next checks measure: the latency, and one
// success rate per check.
func (w *world) metrics(latency float64, rates ...float64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.latency, w.rates = latency, rates
}

// pass advances the clock by an interval and runs one pass.
func (w *world) pass() {
	w.t.Helper()
	w.now = w.now.Add(10 * time.Second)
	res, err := w.rec.Pass(context.Background())
	if err == nil && len(res.Errors) > 0 {
		err = res.Errors[0]
	}
	if err != nil {
		w.t.Fatalf("pass: %v", err)
	}
}

// rollout bumps the image and runs passes until the canary rests again,
// returning the phase it rests in.
func (w *world) rollout(tag string) api.Phase {
	w.t.Helper()
	w.bump(tag)
	return w.passUntil(api.PhaseSucceeded, api.PhaseFailed)
}

// passUntil runs passes until the canary is in one of phases.
func (w *world) passUntil(phases ...api.Phase) api.Phase {
	w.t.Helper()
	for range 30 {
		w.pass()
		if st := w.status(); slices.Contains(phases, st.Phase) {
			return st.Phase
		}
	}
	w.t.Fatalf("no %v after 30 passes:\n%s", phases, Git(w.t, w.bare, "log", "--oneline", "-20", "main"))
	return ""
}

func (w *world) status() api.Status {
	w.t.Helper()
	data := Git(w.t, w.bare, "show", "main:apps/podinfo/gitcanary/podinfo/status.yaml")
	st, err := api.UnmarshalStatus("status.yaml", []byte(data), w.now)
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

// ui is the UI of the world's repository, in its own clone, as `gitcanary
// ui --repo` runs it, behind an httptest server.
type testUI struct {
	*Server
	url string
}

func (w *world) ui(opts Options) *testUI {
	w.t.Helper()
	repo, err := gitops.OpenRepo(context.Background(), gitops.RepoOptions{URL: w.bare, Branch: "main"})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { repo.Close() })
	s, err := New(repo, repo, opts, logr.Discard())
	if err != nil {
		w.t.Fatal(err)
	}
	s.now = func() time.Time { return w.now }
	u := &testUI{Server: s}
	u.refresh()
	srv := httptest.NewServer(s)
	w.t.Cleanup(srv.Close)
	u.url = srv.URL
	return u
}

// refresh fetches as Watch does.
func (u *testUI) refresh() {
	if err := u.Server.refresh(context.Background()); err != nil {
		panic(err)
	}
}

// get returns the status and body of a page.
func (u *testUI) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, body := u.fetch(t, path)
	return resp.StatusCode, body
}

// fetch returns the response to GET path, its body read.
func (u *testUI) fetch(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(u.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// Commit is a commit of a rollout as git itself reads it.
type Commit struct{ SHA, Weight, Subject string }

// RolloutCommits returns the first-parent commits that followed the (last)
// CI commit subject from, up to the next CI commit (one without a
// Canary-Weight trailer), oldest first.
func RolloutCommits(t *testing.T, bare, from string) []Commit {
	t.Helper()
	out := Git(t, bare, "log", "--reverse", "--first-parent", "--format=%H%x09%(trailers:key=Canary-Weight,valueonly,separator=)%x09%s", "main")
	var rows []Commit
	started := false
	for _, line := range strings.Split(out, "\n") {
		f := strings.SplitN(line, "\t", 3)
		switch {
		case f[2] == from:
			started, rows = true, nil
		case started && f[1] == "":
			started = false
		case started:
			rows = append(rows, Commit{f[0], f[1], f[2]})
		}
	}
	if len(rows) == 0 {
		t.Fatalf("no commits after %q:\n%s", from, out)
	}
	return rows
}
