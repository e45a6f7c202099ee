package reconciler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/fixtures/promsim"
	"github.com/gitcanary/gitcanary/gitops/forge"
	"github.com/gitcanary/gitcanary/gitops/forge/githubtest"
)

// The end-to-end tests below do not run in parallel: gitops.Render
// (kustomize) is not safe for concurrent use, its kyaml openapi schema is a
// lazily initialized global (kubernetes-sigs/kustomize#4824, #5805).

// gateFluxContext is the commit status context Flux notification-controller
// sets for the Kustomization "apps" (REFERENCE.md): kind/name/provider UID.
const gateFluxContext = "kustomization/apps/3f2a1b4c"

// gateCommitStatus is the spec.gitops block of a canary that waits for Flux
// to report the Kustomization "apps" applied.
const gateCommitStatus = `  gitops:
    syncGate:
      type: commitStatus
      context: kustomization/apps
      timeout: 5m
`

// gateHub is the GitHub stand-in of a world, with the repository gitcanary
// talks to.
type gateHub struct {
	srv  *githubtest.Server
	repo *githubtest.Repo
}

// setStatus sets Flux's commit status on sha, at the world's clock.
func (g *gateHub) setStatus(sha, state, description string) {
	g.repo.SetStatus(sha, gateFluxContext, state, description)
}

// asked returns the SHAs whose combined status was read, in order.
func (g *gateHub) asked() []string {
	var out []string
	for _, r := range g.srv.Requests() {
		if sha, ok := strings.CutSuffix(strings.TrimPrefix(r.Path, "/repos/owner/name/commits/"), "/status"); ok && r.Method == "GET" {
			out = append(out, sha)
		}
	}
	return out
}

// newGateHub starts a GitHub stand-in on the world's clock and returns it
// with a client for it.
func newGateHub(t *testing.T, w *world) (*gateHub, Forge) {
	t.Helper()
	srv := githubtest.NewServer(t, "ghp_gate0123456789")
	// The stand-in stamps statuses with the world's fake clock. It reads
	// the clock only in the helpers the test goroutine calls (SetStatus).
	srv.Now = func() time.Time { return w.now }
	g := &gateHub{srv: srv, repo: srv.CreateRepo("owner", "name")}
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("ghp_gate0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	client, err := forge.New(forge.Options{APIURL: srv.URL, Repo: "owner/name", TokenFile: token, MaxAttempts: 1}, w.remote, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g, client
}

// gateWorld is a world whose canary has a sync gate.
type gateWorld struct {
	*world
}

// newGateWorld is a world whose canary has the spec.gitops block gitops
// (appended to its spec in a CI commit before the first pass) and whose
// reconciler has the options built by opts once the world exists.
func newGateWorld(t *testing.T, gitops string, opts func(w *world) []Option) *gateWorld {
	t.Helper()
	w := newWorld(t, fixture)
	if gitops != "" {
		w.ciCommit("sync gate", func(dir string) { gateAppend(t, dir, app+"canary.yaml", gitops) })
	}
	var options []Option
	if opts != nil {
		options = opts(w)
	}
	rec, err := New(w.rec.repo, w.rec.opts, w.rec.log, w.measureFunc, func() time.Time { return w.now }, options...)
	if err != nil {
		t.Fatal(err)
	}
	w.rec = rec
	return &gateWorld{world: w}
}

// newCommitStatusGateWorld is a world with a commitStatus gate and a
// GitHub stand-in.
func newCommitStatusGateWorld(t *testing.T, gitops string) (*gateWorld, *gateHub) {
	t.Helper()
	var g *gateHub
	w := newGateWorld(t, gitops, func(w *world) []Option {
		var client Forge
		g, client = newGateHub(t, w)
		return []Option{WithForge(client)}
	})
	return w, g
}

func gateAppend(t testing.TB, dir, file, text string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, file), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func (w *gateWorld) head() string { return gitRun(w.t, w.remote, "rev-parse", "main") }

func (w *gateWorld) lastSubject() string {
	return gitRun(w.t, w.remote, "log", "-1", "--format=%s", "main")
}

func (w *gateWorld) lastBody() string {
	return gitRun(w.t, w.remote, "log", "-1", "--format=%b", "main")
}

func (w *gateWorld) measured() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.measure
}

// idle runs a pass after d and fails if it committed anything.
func (w *gateWorld) idle(d time.Duration, why string) {
	w.t.Helper()
	head := w.head()
	if res := w.pass(d); res.Commits != 0 || w.head() != head {
		w.t.Fatalf("%s: the pass committed %q", why, w.lastSubject())
	}
}

// startCanary initializes the canary, bumps the image and takes the "New
// revision detected" step, which never waits for the gate. It returns that
// commit.
func startGated(t *testing.T, w *gateWorld) string {
	t.Helper()
	w.pass(0)
	bumpImage(w.world, "6.0.1")
	w.setChecks(pass)
	w.pass(tick)
	if got := w.lastSubject(); got != "New revision detected! Scaling up podinfo.test" {
		t.Fatalf("new revision: %q", got)
	}
	return w.head()
}

func bodyLine(text, prefix string) (string, bool) {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l, true
		}
	}
	return "", false
}

// TestSyncGateCommitStatus: steps wait until Flux reports the canary's last
// commit applied, then one analysis interval more, measured from then.
func TestSyncGateCommitStatus(t *testing.T) {
	w, gh := newCommitStatusGateWorld(t, gateCommitStatus)
	newRev := startGated(t, w) // t0+10s
	lastTransition := w.now

	// Flux has not reported on the new revision: no step, no metrics.
	for i := range 3 {
		w.idle(tick, "no status yet")
		if i == 0 && !strings.Contains(w.logs.String(), "waiting for the sync gate kustomization/apps") {
			t.Errorf("the wait is not logged:\n%s", w.logs)
		}
	}
	if w.measured() != 0 {
		t.Fatalf("metrics measured %d times while the gate was closed", w.measured())
	}
	if asked := gh.asked(); len(asked) == 0 || asked[len(asked)-1] != newRev {
		t.Fatalf("the gate asked GitHub about %v, want the canary's last commit %s", asked, newRev)
	}
	// A status on an older commit (the bump) says nothing about this one.
	gh.setStatus(gitRun(t, w.remote, "rev-parse", newRev+"^"), "success", "reconciliation succeeded")
	w.idle(0, "status on an older commit")

	// Flux reports success 33s after the commit (t0+43s).
	w.now = w.now.Add(3 * time.Second)
	gh.setStatus(newRev, "success", "reconciliation succeeded")
	opened := w.now
	// The analysis window starts when the gate opened: t0+53s.
	w.idle(0, "gate just opened")
	w.idle(5*time.Second, "window not elapsed")
	if !strings.Contains(w.logs.String(), "sync gate open; analysis window ends in 5s") {
		t.Errorf("the window wait is not logged:\n%s", w.logs)
	}
	w.pass(5 * time.Second)
	if !w.now.Equal(opened.Add(10 * time.Second)) {
		t.Fatalf("clock %s", w.now)
	}
	if got := w.lastSubject(); got != "Starting canary analysis for podinfo.test" {
		t.Fatalf("after the window: %q", got)
	}
	body := w.lastBody()
	if !strings.HasPrefix(body, "Advance podinfo.test canary weight 10\n") {
		t.Errorf("body:\n%s", body)
	}
	line, ok := bodyLine(body, "sync gate: kustomization/apps/3f2a1b4c: reconciliation succeeded,")
	if !ok {
		t.Fatalf("no sync gate line in the body:\n%s", body)
	}
	if want := "sync gate: kustomization/apps/3f2a1b4c: reconciliation succeeded, 33s after the last commit"; line != want {
		t.Errorf("sync gate line %q, want %q (applied %s after %s)", line, want, opened.Sub(lastTransition), lastTransition)
	}
	if w.weights("main") != "90/10" {
		t.Errorf("weights %s", w.weights("main"))
	}

	// The next step waits for the step commit just made, not the one Flux
	// reported on, and measures nothing meanwhile.
	started := w.head()
	w.idle(tick, "no status on the step commit")
	if w.measured() != 0 {
		t.Fatalf("metrics measured %d times while the gate was closed", w.measured())
	}
	gh.setStatus(started, "success", "reconciliation succeeded") // at once: t0+63s
	w.pass(tick)                                                 // t0+73s: window elapsed
	if got := w.lastSubject(); got != "Advance podinfo.test canary weight 20" {
		t.Fatalf("second step: %q", got)
	}
	if w.measured() != 1 {
		t.Errorf("metrics measured %d times, want once", w.measured())
	}
	body = w.lastBody()
	for _, want := range []string{
		"sync gate: kustomization/apps/3f2a1b4c: reconciliation succeeded, 10s after the last commit",
		"request-success-rate 100.00% >= 99%",
	} {
		if _, ok := bodyLine(body, want); !ok {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

// TestSyncGateFailureIsAFailedCheck: a failure reported by Flux halts the
// step like a failed metric check, and counts toward the threshold.
func TestSyncGateFailureIsAFailedCheck(t *testing.T) {
	w, gh := newCommitStatusGateWorld(t, gateCommitStatus)
	newRev := startGated(t, w)
	w.idle(tick, "no status yet")

	gh.setStatus(newRev, "failure", "health check failed after 30s")
	w.pass(tick)
	// The event is longer than a subject may be: the subject keeps
	// Flagger's text and the last cause, the body the whole event.
	const halt = "Halt podinfo.test advancement sync gate kustomization/apps failed: health check failed after 30s"
	const event = "Halt podinfo.test advancement sync gate kustomization/apps failed: kustomization/apps/3f2a1b4c: health check failed after 30s"
	if got := w.lastSubject(); got != halt {
		t.Fatalf("after a failure status: %q, want %q", got, halt)
	}
	if body := w.lastBody(); !strings.HasPrefix(body, event+"\n") {
		t.Errorf("body does not open with the event:\n%s", body)
	}
	if files := gitRun(t, w.remote, "diff", "--name-only", "main~1", "main"); files != gen+"status.yaml" {
		t.Errorf("the halt changed %q", files)
	}
	if st := w.show("main", gen+"status.yaml"); !strings.Contains(st, "failedChecks: 1") {
		t.Errorf("status after the halt:\n%s", st)
	}
	trailers := gitRun(t, w.remote, "log", "-1", "--format=%(trailers:only,unfold)", "main")
	if !strings.Contains(trailers, "Canary-Failed-Checks: 1") {
		t.Errorf("trailers:\n%s", trailers)
	}

	// The halt is the canary's last commit now: Flux fails on it too.
	gh.setStatus(w.head(), "error", "health check failed after 30s")
	w.pass(tick)
	if got := w.lastSubject(); got != halt {
		t.Fatalf("second failure: %q", got)
	}
	// Threshold (2) reached: the rollback does not wait for the gate.
	w.pass(tick)
	if got := w.lastSubject(); got != "Rolling back podinfo.test failed checks threshold reached 2" {
		t.Fatalf("after the threshold: %q", got)
	}
	if dep := w.show("main", app+"deployment.yaml"); !strings.Contains(dep, oldImage) {
		t.Errorf("target not reverted")
	}
	if w.measured() != 0 {
		t.Errorf("metrics measured %d times", w.measured())
	}
}

// TestSyncGateTimeout: a gate not open within spec.gitops.syncGate.timeout
// is a failed check; GitHub being unreachable only keeps the gate closed.
func TestSyncGateTimeout(t *testing.T) {
	w, gh := newCommitStatusGateWorld(t, strings.Replace(gateCommitStatus, "timeout: 5m", "timeout: 1m", 1))
	startGated(t, w) // t0+10s
	// t0+20s .. t0+60s: waiting; once, GitHub answers 502.
	for i := range 5 {
		if i == 2 {
			gh.srv.FailNext(1, 502)
		}
		w.idle(tick, "before the timeout")
	}
	if !strings.Contains(w.logs.String(), `"msg"="sync gate"`) || !strings.Contains(w.logs.String(), "502") {
		t.Errorf("the GitHub error is not logged:\n%s", w.logs)
	}
	w.pass(tick) // t0+70s: 1m after the last commit
	const halt = "Halt podinfo.test advancement sync gate kustomization/apps not open after 1m0s"
	if got := w.lastSubject(); got != halt {
		t.Fatalf("after the timeout: %q, want %q", got, halt)
	}
	// The timeout restarts from the halt commit.
	for range 5 {
		w.idle(tick, "second timeout not reached")
	}
	w.pass(tick)
	w.pass(tick)
	got := w.subjects()
	want := []string{halt, halt, "Rolling back podinfo.test failed checks threshold reached 2"}
	if strings.Join(got[len(got)-3:], "\n") != strings.Join(want, "\n") {
		t.Fatalf("history:\n%s", strings.Join(got, "\n"))
	}
	if w.measured() != 0 {
		t.Errorf("metrics measured %d times", w.measured())
	}
}

// TestSyncGateLaterHead: Flux reports on the revision it applied, which may
// be a later commit of someone else that includes gitcanary's.
func TestSyncGateLaterHead(t *testing.T) {
	w, gh := newCommitStatusGateWorld(t, gateCommitStatus)
	newRev := startGated(t, w) // t0+10s
	w.idle(tick, "no status yet")
	w.ciCommit("unrelated change by a human", func(dir string) {
		replaceIn(t, dir, "clusters/demo/apps.yaml", "interval: 1m", "interval: 5m")
	})
	human := w.head()
	w.idle(0, "no status on the later head either")
	w.now = w.now.Add(2 * time.Second) // t0+22s
	gh.setStatus(human, "success", "reconciliation succeeded")
	gh.srv.ResetRequests()
	w.idle(0, "window not elapsed")
	if asked := gh.asked(); strings.Join(asked, " ") != newRev+" "+human {
		t.Errorf("asked GitHub about %v, want the canary's commit then the head", asked)
	}
	w.pass(tick) // t0+32s
	if got := w.lastSubject(); got != "Starting canary analysis for podinfo.test" {
		t.Fatalf("a status on the later head did not open the gate: %q", got)
	}
	if _, ok := bodyLine(w.lastBody(), "sync gate: kustomization/apps/3f2a1b4c: reconciliation succeeded, 12s after the last commit"); !ok {
		t.Errorf("body:\n%s", w.lastBody())
	}
}

// TestSyncGateCheckRun: a check run whose name matches the context counts
// like a commit status.
func TestSyncGateCheckRun(t *testing.T) {
	w, gh := newCommitStatusGateWorld(t, gateCommitStatus)
	newRev := startGated(t, w)
	gh.repo.AddCheckRun(newRev, gateFluxContext, "in_progress", "")
	w.idle(tick, "check run in progress")
	gh.repo.AddCheckRun(newRev, gateFluxContext, "completed", "success")
	w.idle(0, "window not elapsed")
	w.pass(tick)
	if got := w.lastSubject(); got != "Starting canary analysis for podinfo.test" {
		t.Fatalf("a successful check run did not open the gate: %q", got)
	}
	if _, ok := bodyLine(w.lastBody(), "sync gate: kustomization/apps/3f2a1b4c: kustomization/apps/3f2a1b4c success, 10s after the last commit"); !ok {
		t.Errorf("body:\n%s", w.lastBody())
	}
}

// TestSyncGateNotConfigured: a gate gitcanary cannot ask is an error of that
// canary only.
func TestSyncGateNotConfigured(t *testing.T) {
	for _, tt := range []struct{ gate, want string }{
		{gateCommitStatus, "spec.gitops.syncGate: type commitStatus needs GitHub access"},
		{"  gitops:\n    syncGate:\n      type: prometheus\n      query: up\n", "spec.gitops.syncGate: type prometheus needs --prometheus"},
	} {
		t.Run(strings.Fields(tt.want)[2], func(t *testing.T) {
			w := newGateWorld(t, "", nil)
			// A second app with a canary in namespace other, without a gate.
			w.ciCommitAll("second app", func(dir string) {
				if err := os.CopyFS(filepath.Join(dir, "apps/other"), os.DirFS(filepath.Join(dir, app))); err != nil {
					t.Fatal(err)
				}
				replaceIn(t, dir, "apps/other/kustomization.yaml", "namespace: test", "namespace: other")
				replaceIn(t, dir, "apps/other/canary.yaml", "namespace: test", "namespace: other")
				gateAppend(t, dir, app+"canary.yaml", tt.gate)
			})
			if res := w.pass(0); res.Commits != 2 || res.Canaries != 2 {
				t.Fatalf("init: %+v", res)
			}
			w.ciCommit("bump both", func(dir string) {
				replaceIn(t, dir, app+"deployment.yaml", oldImage, newImage)
				replaceIn(t, dir, "apps/other/deployment.yaml", oldImage, newImage)
			})
			w.setChecks(pass)
			if res := w.pass(tick); res.Commits != 2 {
				t.Fatalf("new revisions: %+v", res)
			}
			for i := range 2 {
				res := w.passErrors(tick)
				if len(res.Errors) != 1 {
					t.Fatalf("pass %d: errors %v", i, res.Errors)
				}
				msg := res.Errors[0].Error()
				if !strings.Contains(msg, "podinfo.test") || !strings.Contains(msg, tt.want) {
					t.Errorf("error %q, want one naming podinfo.test and %q", msg, tt.want)
				}
				if res.Commits != 1 {
					t.Fatalf("pass %d: the other canary was not served: %+v", i, res)
				}
			}
			got := w.subjects()
			want := []string{"Starting canary analysis for podinfo.other", "Advance podinfo.other canary weight 20"}
			if strings.Join(got[len(got)-2:], "\n") != strings.Join(want, "\n") {
				t.Errorf("history:\n%s", strings.Join(got, "\n"))
			}
			if st := w.show("main", gen+"status.yaml"); !strings.Contains(st, "phase: Progressing") || !strings.Contains(st, "canaryWeight: 0") {
				t.Errorf("the canary with the gate moved:\n%s", st)
			}
		})
	}
}

// passErrors is pass without failing on per-canary errors.
func (w *gateWorld) passErrors(d time.Duration) PassResult {
	w.t.Helper()
	w.now = w.now.Add(d)
	res, err := w.rec.Pass(context.Background())
	if err != nil {
		w.t.Fatalf("pass: %v\nlogs:\n%s", err, w.logs)
	}
	return res
}

// ciCommitAll is ciCommit that also adds new files.
func (w *gateWorld) ciCommitAll(msg string, edit func(dir string)) {
	w.t.Helper()
	gitRun(w.t, w.ci, "pull", "-q", "--ff-only")
	edit(w.ci)
	gitRun(w.t, w.ci, "add", "-A")
	gitRun(w.t, w.ci, "commit", "-qm", msg)
	gitRun(w.t, w.ci, "push", "-q", "origin", "main")
}

const gateReadyQuery = `min(kube_deployment_status_replicas_available{deployment="podinfo"}) >= 2`

const gatePrometheus = `  gitops:
    syncGate:
      type: prometheus
      query: '` + gateReadyQuery + `'
      timeout: 5m
`

// gateQuerier answers the sync gate's query with what the test set and
// records the queries.
type gateQuerier struct {
	mu      sync.Mutex
	value   float64
	err     error
	queries []string
	at      []time.Time
}

func (q *gateQuerier) set(v float64, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.value, q.err = v, err
}

func (q *gateQuerier) Query(_ context.Context, query string, at time.Time) (float64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queries = append(q.queries, query)
	q.at = append(q.at, at)
	return q.value, q.err
}

func (q *gateQuerier) last() (string, time.Time, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.queries) == 0 {
		return "", time.Time{}, 0
	}
	return q.queries[len(q.queries)-1], q.at[len(q.at)-1], len(q.queries)
}

func gateUnix(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// TestSyncGatePrometheus: the gate asks when, since the last commit, the
// query first had a value; that is when it opened.
func TestSyncGatePrometheus(t *testing.T) {
	q := &gateQuerier{err: analysis.ErrNoValuesFound}
	w := newGateWorld(t, gatePrometheus, func(*world) []Option { return []Option{WithQuerier(q)} })
	startGated(t, w) // t0+10s
	lastTransition := w.now
	if _, _, n := q.last(); n != 0 {
		t.Fatalf("the new revision step asked the gate %d times", n)
	}

	w.idle(tick, "no values") // t0+20s
	query, at, n := q.last()
	want := "min(min_over_time(timestamp((" + gateReadyQuery + "))[11s:1s]))"
	if n != 1 || query != want || !at.Equal(w.now) {
		t.Fatalf("query %d %q at %s, want %q at %s", n, query, at, want, w.now)
	}
	if w.measured() != 0 {
		t.Fatalf("measured while the gate was closed")
	}
	w.idle(tick, "no values") // t0+30s
	if query, _, _ := q.last(); !strings.HasSuffix(query, "[21s:1s]))") {
		t.Errorf("the window must cover the time since the last commit: %q", query)
	}

	// Other errors keep the gate closed too, and are logged.
	q.set(0, errors.New("connection refused"))
	w.idle(tick, "querier error") // t0+40s
	if !strings.Contains(w.logs.String(), "connection refused") {
		t.Errorf("the querier error is not logged:\n%s", w.logs)
	}

	// Ready since t0+35s: the window ends at t0+45s.
	q.set(gateUnix(lastTransition.Add(25*time.Second)), nil)
	w.idle(4*time.Second, "window not elapsed") // t0+44s
	w.pass(time.Second)                         // t0+45s
	if got := w.lastSubject(); got != "Starting canary analysis for podinfo.test" {
		t.Fatalf("after the window: %q", got)
	}
	if _, ok := bodyLine(w.lastBody(), "sync gate: query true, 25s after the last commit"); !ok {
		t.Errorf("body:\n%s", w.lastBody())
	}

	// A time before the last commit (the condition held already) opens the
	// gate at the commit: the step is due at once.
	q.set(gateUnix(t0), nil)
	w.pass(tick)
	if got := w.lastSubject(); got != "Advance podinfo.test canary weight 20" {
		t.Fatalf("second step: %q", got)
	}
	if _, ok := bodyLine(w.lastBody(), "sync gate: query true, 0s after the last commit"); !ok {
		t.Errorf("body:\n%s", w.lastBody())
	}
	if w.measured() != 1 {
		t.Errorf("measured %d times, want once", w.measured())
	}
}

// TestSyncGatePrometheusEngine runs the gate's query on the real PromQL
// engine (promsim) with scrapes at the fake clock's times: the query is
// valid PromQL and opens the gate at the first scrape where it held.
func TestSyncGatePrometheusEngine(t *testing.T) {
	prom, err := promsim.New(promsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prom.Close() })
	reg := prometheus.NewRegistry()
	ready := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kube_deployment_status_replicas_available"}, []string{"deployment"})
	reg.MustRegister(ready)
	prom.AddTarget("kube-state-metrics", reg)
	w := newGateWorld(t, gatePrometheus, func(*world) []Option { return []Option{WithQuerier(prom)} })
	scrape := func() {
		t.Helper()
		if err := prom.Scrape(context.Background(), w.now); err != nil {
			t.Fatal(err)
		}
	}

	ready.WithLabelValues("podinfo").Set(1)
	scrape()
	startGated(t, w) // t0+10s
	scrape()
	w.now = w.now.Add(tick)
	scrape()
	w.idle(0, "one replica ready") // t0+20s
	w.now = w.now.Add(4 * time.Second)
	ready.WithLabelValues("podinfo").Set(2)
	scrape() // t0+24s: ready
	w.now = w.now.Add(6 * time.Second)
	scrape()
	w.idle(0, "window not elapsed") // t0+30s
	w.now = w.now.Add(4 * time.Second)
	scrape()
	w.pass(0) // t0+34s
	if got := w.lastSubject(); got != "Starting canary analysis for podinfo.test" {
		t.Fatalf("after the window: %q\n%s", got, w.logs)
	}
	if _, ok := bodyLine(w.lastBody(), "sync gate: query true, 14s after the last commit"); !ok {
		t.Errorf("body:\n%s", w.lastBody())
	}
}

// TestSyncGateReleaseDuringFinalisingIsBounded: Flux stops reporting while
// a release is pushed during Finalising. The promotion still completes once
// the gate times out (nothing is left to judge), the release is then
// detected and analysed, and its gate timeouts end in a rollback: a
// bounded run of commits. It used to commit a failed check every interval
// forever, the phase stuck in Finalising.
func TestSyncGateReleaseDuringFinalisingIsBounded(t *testing.T) {
	w, gh := newCommitStatusGateWorld(t, strings.Replace(gateCommitStatus, "timeout: 5m", "timeout: 1m", 1))
	startGated(t, w)
	for i := 0; w.lastSubject() != "Routing all traffic to primary"; i++ {
		if i == 30 {
			t.Fatalf("never reached Finalising:\n%s", strings.Join(w.subjects(), "\n"))
		}
		gh.setStatus(w.head(), "success", "reconciliation succeeded")
		w.pass(tick)
	}
	bumpImage(w.world, "6.0.2")
	bump := len(w.subjects())
	for range 60 { // ten minutes of passes without Flux reporting
		w.pass(tick)
	}
	got := w.since(bump)
	want := []string{
		"Promotion completed! Scaling down podinfo.test",
		"New revision detected! Scaling up podinfo.test",
		"Halt podinfo.test advancement sync gate kustomization/apps not open after 1m0s",
		"Halt podinfo.test advancement sync gate kustomization/apps not open after 1m0s",
		"Rolling back podinfo.test failed checks threshold reached 2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("after the release:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	completion := gitRun(t, w.remote, "log", "-1", "--format=%B", fmt.Sprintf("main~%d", len(want)-1))
	if !strings.Contains(completion, "sync gate kustomization/apps not open after 1m0s: the promotion goes on") || strings.Contains(completion, "Canary-Failed-Checks") {
		t.Errorf("completion commit:\n%s", completion)
	}
	if dep := w.show("main", app+"deployment.yaml"); !strings.Contains(dep, "podinfo:6.0.1") {
		t.Errorf("the rollback did not put the promoted 6.0.1 back:\n%s", dep)
	}
}

// TestSyncGateOnFluxRevision: a prometheus gate on Flux's gotk_resource_info
// opens when Flux reports Ready on a revision that holds the canary's last
// commit — that commit or a later head — through `{{ revisions }}`; a Ready
// on an older revision keeps it closed.
func TestSyncGateOnFluxRevision(t *testing.T) {
	prom, err := promsim.New(promsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prom.Close() })
	reg := prometheus.NewRegistry()
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gotk_resource_info"}, []string{"customresource_kind", "name", "ready", "revision"})
	reg.MustRegister(info)
	prom.AddTarget("kube-state-metrics", reg)
	const gate = `  gitops:
    syncGate:
      type: prometheus
      query: 'gotk_resource_info{customresource_kind="Kustomization",name="apps",ready="True",revision=~"main@sha1:({{ revisions }})"}'
      timeout: 5m
`
	w := newGateWorld(t, gate, func(*world) []Option { return []Option{WithQuerier(prom)} })
	applied := func(sha string) {
		info.Reset()
		info.WithLabelValues("Kustomization", "apps", "True", "main@sha1:"+sha).Set(1)
		if err := prom.Scrape(context.Background(), w.now); err != nil {
			t.Fatal(err)
		}
	}
	w.pass(0)
	applied(w.head())
	bumpImage(w.world, "6.0.1")
	w.setChecks(pass)
	w.pass(tick)
	if got := w.lastSubject(); got != "New revision detected! Scaling up podinfo.test" {
		t.Fatalf("got %q", got)
	}
	// Flux is still on the revision before: closed.
	for range 3 {
		w.now = w.now.Add(tick)
		applied(gitRun(t, w.remote, "rev-parse", "main~1"))
		w.idle(0, "Flux applied an older revision")
	}
	// CI pushes on top; Flux applies that later head, which holds the
	// canary's commit: open.
	w.ciCommit("docs", func(dir string) { gateAppend(t, dir, "clusters/demo/apps.yaml", "# docs\n") })
	applied(w.head())
	w.now = w.now.Add(tick)
	applied(w.head())
	w.pass(0)
	if got := w.lastSubject(); got != "Starting canary analysis for podinfo.test" {
		t.Fatalf("after Flux applied a later head: %q\n%s", got, w.logs)
	}
}
