package reconciler

import (
	"context"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/gitops"
)

var jane = gitops.Signature{Name: "Jane Doe", Email: "jane@example.com"}

func (w *world) request(action string) {
	w.t.Helper()
	if _, err := SubmitRequest(context.Background(), w.rec.repo, "test", "podinfo", action, jane, "istio", w.now); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) last() string {
	return gitRun(w.t, w.remote, "log", "-1", "--format=%an: %s", "main")
}

func TestManualRequests(t *testing.T) {
	w := newWorld(t, fixture)
	w.pass(0)
	bumpImage(w, "6.0.1")
	w.setChecks(pass)
	w.pass(tick)
	w.pass(tick) // weight 10

	w.request("pause")
	if got := w.last(); got != "Jane Doe: Pause podinfo.test requested by Jane Doe" {
		t.Fatalf("request commit: %q", got)
	}
	if trailers := gitRun(t, w.remote, "log", "-1", "--format=%(trailers:only,unfold)", "main"); !strings.Contains(trailers, "Canary-Request: pause") {
		t.Errorf("trailers: %s", trailers)
	}
	w.pass(0) // honoured at once, even before the step is due
	if got := w.last(); got != "gitcanary: Paused podinfo.test as requested by Jane Doe <jane@example.com>" {
		t.Fatalf("pause outcome: %q", got)
	}
	if ls := gitRun(t, w.remote, "ls-tree", "--name-only", "main", gen); strings.Contains(ls, "request.yaml") {
		t.Errorf("request not removed: %s", ls)
	}
	for i := 0; i < 3; i++ {
		if res := w.pass(tick); res.Commits != 0 {
			t.Fatalf("paused canary advanced: %s", w.last())
		}
	}
	w.request("resume")
	w.pass(0)
	if got := w.last(); got != "gitcanary: Resumed podinfo.test as requested by Jane Doe <jane@example.com>" {
		t.Fatalf("resume outcome: %q", got)
	}
	w.pass(tick)
	if got := w.last(); got != "gitcanary: Advance podinfo.test canary weight 20" {
		t.Fatalf("after resume: %q", got)
	}

	w.request("promote")
	w.pass(0)
	msg := gitRun(t, w.remote, "log", "-1", "--format=%s%n%b", "main")
	if !strings.HasPrefix(msg, "Promotion of podinfo.test requested by Jane Doe <jane@example.com>\nCopying podinfo.test template spec to podinfo-primary.test") {
		t.Fatalf("promote outcome:\n%s", msg)
	}
	if p := w.show("main", gen+"primary.yaml"); !strings.Contains(p, newImage) {
		t.Errorf("primary not updated by the promote request")
	}
	w.pass(tick)
	w.pass(tick)
	if got := w.last(); got != "gitcanary: Promotion completed! Scaling down podinfo.test" {
		t.Errorf("after promote: %q", got)
	}

	w.request("abort") // nothing to abort now
	w.pass(0)
	if got := w.last(); got != "gitcanary: Ignored abort request for podinfo.test by Jane Doe <jane@example.com>: no analysis in progress" {
		t.Errorf("ignored request: %q", got)
	}
}

func TestAbortRollsBack(t *testing.T) {
	w := newWorld(t, fixture)
	w.pass(0)
	bumpImage(w, "6.0.1")
	w.setChecks(pass)
	w.pass(tick)
	w.pass(tick)
	w.request("abort")
	w.pass(0)
	msg := gitRun(t, w.remote, "log", "-1", "--format=%s%n%b", "main")
	if !strings.HasPrefix(msg, "Rolling back podinfo.test manual abort requested by Jane Doe <jane@example.com>\nCanary failed! Scaling down podinfo.test") {
		t.Fatalf("abort outcome:\n%s", msg)
	}
	if dep := w.show("main", app+"deployment.yaml"); !strings.Contains(dep, oldImage) {
		t.Errorf("abort did not revert the target")
	}
}
