package reconciler

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

var jane = gitops.Signature{Name: "Jane Doe", Email: "jane@example.com"}

func (w *world) request(action string) {
	w.t.Helper()
	if _, _, err := SubmitRequest(context.Background(), w.rec.repo, "test", "podinfo", action, jane, "istio", w.now); err != nil {
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
	if p := w.primaryRuns("main"); p != newImage {
		t.Errorf("primary not updated by the promote request: runs %s", p)
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

// TestRequestsQueue: requests made before a pass are queued in order, none
// is dropped, and PopRequest removes the first one only; a full queue
// refuses more with a clear error.
func TestRequestsQueue(t *testing.T) {
	w := newWorld(t, fixture)
	w.pass(0)
	for _, action := range []string{"pause", "resume", "promote"} {
		w.request(action)
	}
	snap := w.snapshot()
	c := w.canary(snap)
	pending, err := PendingRequests(snap, c)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, rq := range pending {
		actions = append(actions, rq.Action+" by "+rq.RequestedBy)
	}
	if got := strings.Join(actions, ", "); got != "pause by Jane Doe <jane@example.com>, resume by Jane Doe <jane@example.com>, promote by Jane Doe <jane@example.com>" {
		t.Fatalf("queue: %s", got)
	}
	p, data, err := PopRequest(c, pending)
	if err != nil || p != gen+"request.yaml" {
		t.Fatalf("pop: %s %v", p, err)
	}
	rest, err := api.UnmarshalRequests(p, data)
	if err != nil || len(rest) != 2 || rest[0].Action != "resume" || rest[1].Action != "promote" {
		t.Fatalf("after the first is honoured: %+v %v", rest, err)
	}
	if p, data, err := PopRequest(c, rest[1:]); err != nil || p != gen+"request.yaml" || data != nil {
		t.Errorf("popping the last request deletes the file: %q %v", data, err)
	}

	for i := len(pending); i < api.MaxRequests; i++ {
		w.request("pause")
	}
	_, _, err = SubmitRequest(context.Background(), w.rec.repo, "test", "podinfo", "abort", jane, "istio", w.now)
	if !errors.Is(err, api.ErrQueueFull) || !strings.Contains(err.Error(), "wait until gitcanary run has honoured the pending ones (apps/podinfo/gitcanary/podinfo/request.yaml)") {
		t.Errorf("full queue: %v", err)
	}
}

func (w *world) snapshot() *gitops.Snapshot {
	w.t.Helper()
	head, err := w.rec.repo.Fetch(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	snap, err := w.rec.repo.Snapshot(head)
	if err != nil {
		w.t.Fatal(err)
	}
	return snap
}

func (w *world) canary(snap *gitops.Snapshot) *api.Canary {
	w.t.Helper()
	infos, errs := ListCanaries(snap, "istio", w.now)
	info, err := FindCanary(infos, "test", "podinfo")
	if err != nil || len(errs) > 0 {
		w.t.Fatal(err, errs)
	}
	return info.Canary
}

func TestFindCanary(t *testing.T) {
	canary := func(ns, name, path string) *api.Canary {
		return &api.Canary{Metadata: api.ObjectMeta{Name: name, Namespace: ns}, Source: api.Source{Path: path, AppDir: path[:strings.LastIndex(path, "/")]}}
	}
	infos := []CanaryInfo{
		{Canary: canary("test", "podinfo", "apps/a/canary.yaml"), Namespace: "test", Name: "podinfo", Conflict: "conflict, canary refused: Canary test/podinfo is also defined in apps/b/canary.yaml: document 1"},
		{Canary: canary("test", "podinfo", "apps/b/canary.yaml"), Namespace: "test", Name: "podinfo", Conflict: "conflict, canary refused: Canary test/podinfo is also defined in apps/a/canary.yaml: document 1"},
		{Canary: canary("prod", "frontend", "apps/f/canary.yaml"), Namespace: "prod", Name: "frontend"},
		{Canary: canary("test", "frontend", "apps/g/canary.yaml"), Namespace: "test", Name: "frontend"},
	}
	for _, tt := range []struct{ ns, name, want string }{
		{"", "podinfo", "canary test/podinfo (apps/a/canary.yaml: document 1): conflict, canary refused: Canary test/podinfo is also defined in apps/b/canary.yaml: document 1"},
		{"", "frontend", "canary frontend exists in namespaces prod, test: set -n"},
		{"", "nope", "canary nope not found"},
		{"dev", "frontend", "canary frontend not found in namespace dev"},
	} {
		if _, err := FindCanary(infos, tt.ns, tt.name); err == nil || err.Error() != tt.want {
			t.Errorf("%s/%s: %v, want %q", tt.ns, tt.name, err, tt.want)
		}
	}
	if c, err := FindCanary(infos, "prod", "frontend"); err != nil || c.Canary.Source.Path != "apps/f/canary.yaml" {
		t.Errorf("prod/frontend: %v", err)
	}
}

// A request.yaml that run refuses (an unknown action, YAML that does not
// parse) is a problem for validate too; validate used to pass it.
func TestValidateChecksRequests(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, data, want string }{
		{"unknown action", "apiVersion: gitcanary.dev/v1beta1\nkind: CanaryRequest\nmetadata:\n  name: podinfo\n  namespace: test\nspec:\n  action: detonate\n",
			`canary podinfo.test: apps/podinfo/gitcanary/podinfo/request.yaml: spec.requests[0].action: must be one of promote, abort, pause, resume, got "detonate"`},
		{"not YAML", "spec: [unclosed\n", "apps/podinfo/gitcanary/podinfo/request.yaml: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := fixtureWith(t, gen+"request.yaml", tc.data)
			problems, _, err := Validate(dir, "istio")
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 1 || !strings.Contains(problems[0].Error(), tc.want) {
				t.Fatalf("validate: %v, want one problem with %q", problems, tc.want)
			}
		})
	}
}
