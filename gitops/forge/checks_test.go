package forge_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/gitops/forge"
)

func TestCommitChecks(t *testing.T) {
	t.Parallel()
	f := setup(t)
	type status struct{ context, state, description string }
	type run struct{ name, status, conclusion string }
	tests := []struct {
		name     string
		prefix   string
		statuses []status
		runs     []run
		want     forge.CheckState
	}{
		{name: "nothing yet", prefix: "kustomization/apps",
			want: forge.CheckState{State: forge.CheckPending}},
		{name: "flux pending", prefix: "kustomization/apps",
			statuses: []status{{"kustomization/apps/3f2a1b4c", "pending", "reconciliation in progress"}},
			want:     forge.CheckState{State: forge.CheckPending, Context: "kustomization/apps/3f2a1b4c", Description: "reconciliation in progress", Found: true}},
		{name: "flux success", prefix: "kustomization/apps",
			statuses: []status{{"kustomization/apps/3f2a1b4c", "success", "reconciliation succeeded"}},
			want:     forge.CheckState{State: forge.CheckSuccess, Context: "kustomization/apps/3f2a1b4c", Description: "reconciliation succeeded", Found: true}},
		{name: "flux failure", prefix: "kustomization/apps",
			statuses: []status{{"kustomization/apps/3f2a1b4c", "failure", "health check failed"}},
			want:     forge.CheckState{State: forge.CheckFailure, Context: "kustomization/apps/3f2a1b4c", Description: "health check failed", Found: true}},
		{name: "error counts as failure", prefix: "continuous-delivery/podinfo",
			statuses: []status{{"continuous-delivery/podinfo", "error", "sync failed"}},
			want:     forge.CheckState{State: forge.CheckFailure, Context: "continuous-delivery/podinfo", Description: "sync failed", Found: true}},
		{name: "latest status per context wins", prefix: "kustomization/apps",
			statuses: []status{{"kustomization/apps/3f2a1b4c", "pending", "progressing"}, {"kustomization/apps/3f2a1b4c", "success", "reconciliation succeeded"}},
			want:     forge.CheckState{State: forge.CheckSuccess, Context: "kustomization/apps/3f2a1b4c", Description: "reconciliation succeeded", Found: true}},
		{name: "other contexts ignored", prefix: "kustomization/apps",
			statuses: []status{{"kustomization/apps-backend/3f2a1b4c", "failure", "x"}, {"ci/build", "failure", "x"}, {"kustomization", "failure", "x"}},
			want:     forge.CheckState{State: forge.CheckPending}},
		{name: "one provider failing fails", prefix: "kustomization/apps",
			statuses: []status{{"kustomization/apps/aaaa", "success", "ok"}, {"kustomization/apps/bbbb", "failure", "broken"}},
			want:     forge.CheckState{State: forge.CheckFailure, Context: "kustomization/apps/bbbb", Description: "broken", Found: true}},
		{name: "trailing slash prefix", prefix: "kustomization/",
			statuses: []status{{"kustomization/apps/aaaa", "success", "ok"}},
			want:     forge.CheckState{State: forge.CheckSuccess, Context: "kustomization/apps/aaaa", Description: "ok", Found: true}},
		{name: "check run in progress", prefix: "argocd/podinfo",
			runs: []run{{"argocd/podinfo", "in_progress", ""}},
			want: forge.CheckState{State: forge.CheckPending, Context: "argocd/podinfo", Description: "argocd/podinfo in_progress", Found: true}},
		{name: "check run success", prefix: "argocd/podinfo",
			runs: []run{{"argocd/podinfo", "completed", "success"}},
			want: forge.CheckState{State: forge.CheckSuccess, Context: "argocd/podinfo", Description: "argocd/podinfo success", Found: true}},
		{name: "check run neutral", prefix: "argocd/podinfo",
			runs: []run{{"argocd/podinfo", "completed", "neutral"}},
			want: forge.CheckState{State: forge.CheckSuccess, Context: "argocd/podinfo", Description: "argocd/podinfo neutral", Found: true}},
		{name: "check run failure", prefix: "argocd/podinfo",
			runs: []run{{"argocd/podinfo", "completed", "timed_out"}},
			want: forge.CheckState{State: forge.CheckFailure, Context: "argocd/podinfo", Description: "argocd/podinfo timed_out", Found: true}},
		{name: "re-run supersedes", prefix: "argocd/podinfo",
			runs: []run{{"argocd/podinfo", "completed", "failure"}, {"argocd/podinfo", "completed", "success"}},
			want: forge.CheckState{State: forge.CheckSuccess, Context: "argocd/podinfo", Description: "argocd/podinfo success", Found: true}},
		{name: "status done, check run pending", prefix: "kustomization/apps",
			statuses: []status{{"kustomization/apps/aaaa", "success", "ok"}},
			runs:     []run{{"kustomization/apps/health", "queued", ""}},
			want:     forge.CheckState{State: forge.CheckPending, Context: "kustomization/apps/health", Description: "kustomization/apps/health queued", Found: true}},
	}
	for i, tt := range tests {
		sha := fmt.Sprintf("%040x", i+1)
		for _, s := range tt.statuses {
			f.repo.SetStatus(sha, s.context, s.state, s.description)
		}
		for _, r := range tt.runs {
			f.repo.AddCheckRun(sha, r.name, r.status, r.conclusion)
		}
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := f.gh.CommitChecks(context.Background(), sha, tt.prefix)
			if err != nil {
				t.Fatal(err)
			}
			if got.State == forge.CheckSuccess && (got.At.IsZero() || time.Since(got.At) > time.Minute) {
				t.Errorf("CommitChecks.At = %s, want the stand-in's status time", got.At)
			}
			got.At = time.Time{}
			if got != tt.want {
				t.Errorf("CommitChecks = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCommitChecksManyStatuses(t *testing.T) {
	t.Parallel()
	f := setup(t)
	const sha = "abcdef0123456789abcdef0123456789abcdef01"
	// More contexts than fit on one page; the one that matters comes first,
	// so the stand-in (newest first) lists it last.
	f.repo.SetStatus(sha, "kustomization/apps/3f2a1b4c", "failure", "health check failed")
	for i := range 150 {
		f.repo.SetStatus(sha, fmt.Sprintf("ci/job-%d", i), "success", "ok")
		f.repo.AddCheckRun(sha, fmt.Sprintf("lint-%d", i), "completed", "success")
	}
	got, err := f.gh.CommitChecks(context.Background(), sha, "kustomization/apps")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != forge.CheckFailure || !got.Found {
		t.Errorf("CommitChecks = %+v, want the failure from page 2", got)
	}
}
