package reconciler

import (
	"context"
	"strings"
	"testing"
	"time"
)

const (
	fixture    = "../fixtures/config-repo"
	app        = "apps/podinfo/"
	gen        = app + "gitcanary/podinfo/"
	tick       = 10 * time.Second
	oldImage   = "ghcr.io/stefanprodan/podinfo:6.0.0"
	newImage   = "ghcr.io/stefanprodan/podinfo:6.0.1"
	imageField = "image: "
)

func bumpImage(w *world, tag string) {
	w.ciCommit("bump podinfo to "+tag, func(dir string) {
		b := gitRun(w.t, dir, "show", "HEAD:"+app+"deployment.yaml")
		cur := b[strings.Index(b, imageField)+len(imageField):]
		cur = cur[:strings.IndexAny(cur, " \n")]
		replaceIn(w.t, dir, app+"deployment.yaml", cur, "ghcr.io/stefanprodan/podinfo:"+tag)
	})
}

// weights reads the VirtualService's route weights of a commit.
func (w *world) weights(rev string) string {
	vs := w.show(rev, gen+"istio.yaml")
	var ws []string
	for _, l := range strings.Split(vs, "\n") {
		if s := strings.TrimSpace(l); strings.HasPrefix(s, "weight: ") {
			ws = append(ws, strings.TrimPrefix(s, "weight: "))
		}
	}
	return strings.Join(ws, "/")
}

func TestInitializeAndPromote(t *testing.T) {
	w := newWorld(t, fixture)
	res := w.pass(0)
	if res.Commits != 1 {
		t.Fatalf("init: %d commits", res.Commits)
	}
	if k := w.show("main", app+"kustomization.yaml"); !strings.Contains(k, "components:\n  - gitcanary/podinfo") || !strings.Contains(k, "# canary.yaml is read by gitcanary") {
		t.Errorf("component not wired in, or comments lost:\n%s", k)
	}
	if p := w.primaryRuns("main"); p != oldImage {
		t.Errorf("primary not a copy of the target: runs %s", p)
	}
	if got := w.weights("main"); got != "100/0" {
		t.Errorf("weights after init %s", got)
	}

	bumpImage(w, "6.0.1")
	w.setChecks(pass)
	for i := 0; i < 12; i++ {
		w.pass(tick)
	}
	want := []string{
		"podinfo app",
		"Initialization done! podinfo.test",
		"bump podinfo to 6.0.1",
		"New revision detected! Scaling up podinfo.test",
		"Starting canary analysis for podinfo.test",
		"Advance podinfo.test canary weight 20",
		"Advance podinfo.test canary weight 30",
		"Advance podinfo.test canary weight 40",
		"Advance podinfo.test canary weight 50",
		"Copying podinfo.test template spec to podinfo-primary.test",
		"Routing all traffic to primary",
		"Promotion completed! Scaling down podinfo.test",
	}
	if got := w.subjects(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Each step's commit routes what it says.
	for rev, want := range map[string]string{"main~8": "100/0", "main~7": "90/10", "main~3": "50/50", "main~2": "50/50", "main~1": "100/0", "main": "100/0"} {
		if got := w.weights(rev); got != want {
			t.Errorf("%s routes %s, want %s", rev, got, want)
		}
	}
	// The canary runs (no scale-down patch) while analysed, and is scaled
	// down again at the end.
	if ls := gitRun(t, w.remote, "ls-tree", "--name-only", "main~7", gen); strings.Contains(ls, "scale-down.yaml") {
		t.Errorf("canary still scaled down during analysis: %s", ls)
	}
	if ls := gitRun(t, w.remote, "ls-tree", "--name-only", "main", gen); !strings.Contains(ls, "scale-down.yaml") {
		t.Errorf("canary not scaled down after promotion: %s", ls)
	}
	if p := w.primaryRuns("main~2"); p != newImage {
		t.Errorf("primary not updated at promotion: runs %s", p)
	}
	if p := w.primaryRuns("main~3"); p != oldImage {
		t.Errorf("primary changed before promotion: runs %s", p)
	}
	// A weight step touches only the router and the status.
	if files := gitRun(t, w.remote, "diff", "--name-only", "main~6", "main~5"); files != gen+"istio.yaml\n"+gen+"status.yaml" {
		t.Errorf("weight step changed %q", files)
	}
	// The commit carries the metric values and git trailers.
	msg := gitRun(t, w.remote, "log", "-1", "--format=%B", "main~5")
	if !strings.Contains(msg, "request-success-rate 100.00% >= 99%") {
		t.Errorf("metric values missing from the body:\n%s", msg)
	}
	trailers := gitRun(t, w.remote, "log", "-1", "--format=%(trailers:only,unfold)", "main~5")
	for _, want := range []string{"Canary: test/podinfo", "Canary-Phase: Progressing", "Canary-Weight: 30", "Canary-Revision: "} {
		if !strings.Contains(trailers, want) {
			t.Errorf("trailers lack %q:\n%s", want, trailers)
		}
	}
	if st := w.show("main", gen+"status.yaml"); !strings.Contains(st, "phase: Succeeded") {
		t.Errorf("status:\n%s", st)
	}
	// Logs: msg is the event text, canary is name.namespace.
	if !strings.Contains(w.logs.String(), `"msg"="Promotion completed! Scaling down podinfo.test" "canary"="podinfo.test"`) {
		t.Errorf("event not logged:\n%s", w.logs)
	}
}

func TestIdlePassWritesNothing(t *testing.T) {
	w := newWorld(t, fixture)
	w.pass(0)
	renders := w.rec.renders
	head := gitRun(t, w.remote, "rev-parse", "main")
	for i := 0; i < 3; i++ {
		if res := w.pass(time.Hour); res.Commits != 0 || !res.Pushed.IsZero() {
			t.Fatalf("idle pass committed: %+v", res)
		}
	}
	if got := gitRun(t, w.remote, "rev-parse", "main"); got != head {
		t.Fatalf("idle passes moved the branch from %s to %s", head, got)
	}
	if w.rec.renders != renders {
		t.Errorf("idle passes rendered the app %d times", w.rec.renders-renders)
	}
	// An unrelated change elsewhere in the repository is not a revision.
	w.ciCommit("docs", func(dir string) {
		replaceIn(t, dir, "clusters/demo/apps.yaml", "interval: 1m", "interval: 2m")
	})
	w.pass(time.Hour)
	if got := gitRun(t, w.remote, "log", "-1", "--format=%s", "main"); got != "docs" {
		t.Errorf("a pass committed on top of an unrelated change: %s", got)
	}
	if w.measure != 0 {
		t.Errorf("idle passes measured metrics %d times", w.measure)
	}
}

func TestRollbackRevertsTheTarget(t *testing.T) {
	w := newWorld(t, fixture)
	w.pass(0)
	bumpImage(w, "6.0.1")
	w.pass(tick) // new revision
	w.pass(tick) // starting, weight 10
	w.setChecks(fail)
	w.pass(tick) // halt 1
	w.pass(tick) // halt 2
	w.pass(tick) // rollback
	got := w.subjects()
	want := []string{
		"Halt podinfo.test advancement success rate 50.00% < 99%",
		"Halt podinfo.test advancement success rate 50.00% < 99%",
		"Rolling back podinfo.test failed checks threshold reached 2",
	}
	if strings.Join(got[len(got)-3:], "\n") != strings.Join(want, "\n") {
		t.Fatalf("history:\n%s", strings.Join(got, "\n"))
	}
	body := gitRun(t, w.remote, "log", "-1", "--format=%b", "main")
	if !strings.HasPrefix(body, "Canary failed! Scaling down podinfo.test\n") {
		t.Errorf("second event must open the body:\n%s", body)
	}
	// The halt commits change the status only.
	if files := gitRun(t, w.remote, "diff", "--name-only", "main~2", "main~1"); files != gen+"status.yaml" {
		t.Errorf("halt commit changed %q", files)
	}
	// The target is back at the promoted image, with the comment kept.
	dep := w.show("main", app+"deployment.yaml")
	if !strings.Contains(dep, "image: "+oldImage+" # CI bumps this tag") {
		t.Errorf("target not reverted:\n%s", dep)
	}
	if w.weights("main") != "100/0" || !strings.Contains(w.show("main", gen+"status.yaml"), "phase: Failed") {
		t.Errorf("rollback state: %s\n%s", w.weights("main"), w.show("main", gen+"status.yaml"))
	}
	// The reverted state is idle...
	w.setChecks(pass)
	if res := w.pass(tick); res.Commits != 0 {
		t.Fatalf("reverted target started a canary")
	}
	// ...and the same version pushed again retries.
	bumpImage(w, "6.0.1")
	w.pass(tick)
	if got := gitRun(t, w.remote, "log", "-1", "--format=%s", "main"); got != "New revision detected! Scaling up podinfo.test" {
		t.Errorf("re-push of the failed version: %s", got)
	}
}

func TestNewRevisionRestartsAnalysis(t *testing.T) {
	w := newWorld(t, fixture)
	w.pass(0)
	bumpImage(w, "6.0.1")
	w.setChecks(pass)
	w.pass(tick)
	w.pass(tick)
	w.pass(tick) // weight 20
	bumpImage(w, "6.0.2")
	w.pass(tick)
	if got := gitRun(t, w.remote, "log", "-1", "--format=%s", "main"); got != "New revision detected! Restarting analysis for podinfo.test" {
		t.Fatalf("got %s", got)
	}
	if w.weights("main") != "100/0" {
		t.Errorf("restart must route back to the primary: %s", w.weights("main"))
	}
	for i := 0; i < 9; i++ {
		w.pass(tick)
	}
	if p := w.show("main", gen+"primary.yaml"); !strings.Contains(p, "podinfo:6.0.2") {
		t.Errorf("promoted the wrong revision:\n%s", p)
	}
}

func TestConfigMapChangeTriggersCanary(t *testing.T) {
	w := newWorld(t, fixture)
	w.pass(0)
	w.ciCommit("new greeting", func(dir string) {
		replaceIn(t, dir, app+"configmap.yaml", "Greetings from podinfo", "Hello from the canary")
	})
	w.setChecks(pass)
	w.pass(tick)
	if got := gitRun(t, w.remote, "log", "-1", "--format=%s", "main"); got != "New revision detected! Scaling up podinfo.test" {
		t.Fatalf("a ConfigMap change must start a canary, got %q", got)
	}
	if p := w.show("main", gen+"primary.yaml"); strings.Contains(p, "Hello from the canary") {
		t.Fatalf("-primary ConfigMap changed before promotion")
	}
	for i := 0; i < 10; i++ {
		w.pass(tick)
	}
	p := w.show("main", gen+"primary.yaml")
	if !strings.Contains(p, "name: podinfo-config-primary") || !strings.Contains(p, "Hello from the canary") {
		t.Errorf("-primary ConfigMap did not follow at promotion:\n%s", p)
	}
}

func TestConcurrentWriterLosesNothing(t *testing.T) {
	w := newWorld(t, fixture)
	w.pass(0)
	bumpImage(w, "6.0.1")
	w.setChecks(pass)
	w.pass(tick)
	w.pass(tick)
	// While the next pass measures, someone else pushes: gitcanary's push
	// is rejected, it fetches and decides again on top of their commit.
	w.hook = func() {
		w.ciCommit("unrelated change by a human", func(dir string) {
			replaceIn(t, dir, "clusters/demo/apps.yaml", "interval: 1m", "interval: 5m")
		})
	}
	res := w.pass(tick)
	if res.Commits != 1 {
		t.Fatalf("after the conflict: %+v\n%s", res, w.logs)
	}
	got := w.subjects()
	if got[len(got)-2] != "unrelated change by a human" || got[len(got)-1] != "Advance podinfo.test canary weight 20" {
		t.Errorf("history:\n%s", strings.Join(got, "\n"))
	}
	if merges := gitRun(t, w.remote, "rev-list", "--merges", "main"); merges != "" {
		t.Errorf("history is not linear: %s", merges)
	}
	if w.measure != 1 {
		t.Errorf("metrics measured %d times in one pass, want once", w.measure)
	}
	if !strings.Contains(w.logs.String(), "push rejected") {
		t.Errorf("the conflict was not logged:\n%s", w.logs)
	}
	if strings.Count(strings.Join(got, "\n"), "Advance podinfo.test canary weight 20") != 1 {
		t.Errorf("step committed twice")
	}
}

func TestLoopFinishesThePassInFlight(t *testing.T) {
	w := newWorld(t, fixture)
	w.pass(0)
	bumpImage(w, "6.0.1")
	w.pass(tick)
	w.pass(tick) // weight 10: the next pass measures
	w.now = w.now.Add(tick)
	w.setChecks(pass)
	ctx, cancel := context.WithCancel(context.Background())
	// SIGTERM arrives while the pass is measuring.
	w.hook = cancel
	w.rec.opts.Interval = time.Second
	done := make(chan error, 1)
	go func() { done <- w.rec.Loop(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Loop did not stop after cancel")
	}
	if got := gitRun(t, w.remote, "log", "-1", "--format=%s", "main"); got != "Advance podinfo.test canary weight 20" {
		t.Errorf("the pass in flight was not finished: last commit %q", got)
	}
}
