package reconciler

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/machine"
	"github.com/gitcanary/gitcanary/templates"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

var (
	pass = []machine.Check{{Metric: "request-success-rate", Passed: true, Summary: "request-success-rate 100.00% >= 99%"}}
	fail = []machine.Check{{Metric: "request-success-rate", Halt: "Halt podinfo.test advancement success rate 50.00% < 99%", Summary: "request-success-rate 50.00% < 99%"}}
)

// gitRun runs the git CLI, as a user or CI would, and returns its output.
func gitRun(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := gitCmd(dir, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimRight(string(out), "\n")
}

// gitCmd is the git CLI in dir with a fixed identity and no user config.
func gitCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=ci", "GIT_AUTHOR_EMAIL=ci@example.com",
		"GIT_COMMITTER_NAME=ci", "GIT_COMMITTER_EMAIL=ci@example.com",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	return cmd
}

// world is a config repository (a bare repo on disk), a CI clone that
// pushes to it, and a reconciler with a controllable clock and metrics.
type world struct {
	t      testing.TB
	remote string
	ci     string
	rec    *Reconciler
	now    time.Time
	logs   *syncBuffer

	mu     sync.Mutex
	checks []machine.Check // what the next measurements return
	// checksOf overrides checks for the canaries it names (namespace/name).
	checksOf map[string][]machine.Check
	measure  int    // how often metrics were measured
	hook     func() // runs inside the next measurement, once
}

func newWorld(t testing.TB, fixture string) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{t: t, remote: filepath.Join(dir, "remote.git"), ci: filepath.Join(dir, "ci"), now: t0, logs: &syncBuffer{}}
	gitRun(t, dir, "init", "-q", "--bare", "-b", "main", w.remote)
	gitRun(t, dir, "clone", "-q", w.remote, w.ci)
	if err := os.CopyFS(w.ci, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	gitRun(t, w.ci, "add", "-A")
	gitRun(t, w.ci, "commit", "-qm", "podinfo app")
	gitRun(t, w.ci, "push", "-q", "origin", "main")

	opts := DefaultOptions()
	opts.Repo = gitops.RepoOptions{URL: w.remote, Branch: "main", Workdir: filepath.Join(dir, "work"), Author: gitops.Signature{Name: "gitcanary", Email: "gitcanary@example.com"}}
	repo, err := gitops.OpenRepo(context.Background(), opts.Repo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	log := funcr.New(func(prefix, args string) { w.logs.WriteString(args + "\n") }, funcr.Options{Verbosity: 1})
	w.rec, err = New(repo, opts, log, w.measureFunc, func() time.Time { return w.now })
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) measureFunc(_ context.Context, c *api.Canary, _ analysis.TemplateLookup, _ time.Time) ([]machine.Check, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.measure++
	if h := w.hook; h != nil {
		w.hook = nil
		h()
	}
	if cs, ok := w.checksOf[c.ID()]; ok {
		return cs, nil
	}
	return w.checks, nil
}

func (w *world) setChecks(cs []machine.Check) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.checks = cs
}

// pass advances the clock by d and runs one pass.
func (w *world) pass(d time.Duration) PassResult {
	w.t.Helper()
	w.now = w.now.Add(d)
	res, err := w.rec.Pass(context.Background())
	if err != nil {
		w.t.Fatalf("pass: %v\nlogs:\n%s", err, w.logs)
	}
	if len(res.Errors) > 0 {
		w.t.Fatalf("pass errors: %v", res.Errors)
	}
	return res
}

// ciCommit edits files in the CI clone and pushes, as CI bumping an image.
func (w *world) ciCommit(msg string, edit func(dir string)) {
	w.t.Helper()
	gitRun(w.t, w.ci, "pull", "-q", "--ff-only")
	edit(w.ci)
	gitRun(w.t, w.ci, "commit", "-qam", msg)
	gitRun(w.t, w.ci, "push", "-q", "origin", "main")
}

// replaceIn replaces old with new in a file of dir, failing if absent.
func replaceIn(t testing.TB, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// subjects returns the subjects of the remote's history, oldest first.
func (w *world) subjects() []string {
	out := gitRun(w.t, w.remote, "log", "--reverse", "--format=%s", "main")
	return strings.Split(out, "\n")
}

// show returns a file of the remote's main branch.
func (w *world) show(rev, file string) string {
	return gitRun(w.t, w.remote, "show", rev+":"+file)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) WriteString(x string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(x)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// primaryRuns is the image the podinfo-primary of the app runs at rev, as
// Flux applies it (primary.yaml holds it under its placeholder name).
func (w *world) primaryRuns(rev string) string {
	w.t.Helper()
	p := findObject(w.applied(rev), "Deployment", "podinfo-primary", "test")
	if p == nil {
		w.t.Fatalf("no podinfo-primary at %s", rev)
	}
	return strings.Join(templates.ContainerImages(p), ", ")
}
