package forge_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gitcanary/gitcanary/gitops/forge"
)

const head = "gitcanary/test/podinfo/promotion-5f1c2e9a"

func TestEnsurePullRequestCreatesOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	f.repo.SetBranch(head, "1111111111111111111111111111111111111111")

	pr, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote podinfo.test", "analysis")
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number != 1 || !pr.Open() || pr.Merged || pr.HeadRef != head || pr.BaseRef != "main" ||
		pr.HeadSHA != "1111111111111111111111111111111111111111" || pr.URL == "" {
		t.Fatalf("created %+v", pr)
	}

	// A second call, and one from a restarted process, find the same PR.
	f.srv.ResetRequests()
	for _, gh := range []*forge.GitHub{f.gh, f.client(t)} {
		again, err := gh.EnsurePullRequest(ctx, head, "main", "Promote podinfo.test", "analysis")
		if err != nil {
			t.Fatal(err)
		}
		if again.Number != pr.Number {
			t.Fatalf("second Ensure returned #%d, want #%d", again.Number, pr.Number)
		}
	}
	if got := f.repo.PullRequests(); len(got) != 1 {
		t.Fatalf("%d pull requests, want 1", len(got))
	}
	if reqs := f.requests(); slices.ContainsFunc(reqs, func(r string) bool { return !strings.HasPrefix(r, "GET ") }) {
		t.Errorf("unchanged Ensure wrote to GitHub: %v", reqs)
	}
}

func TestEnsurePullRequestUpdates(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	if _, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote podinfo.test", "step 1"); err != nil {
		t.Fatal(err)
	}
	f.srv.ResetRequests()
	pr, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote podinfo.test (2 steps)", "step 1\nstep 2")
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number != 1 || pr.Title != "Promote podinfo.test (2 steps)" || pr.Body != "step 1\nstep 2" {
		t.Fatalf("updated %+v", pr)
	}
	stored, _ := f.repo.PullRequest(1)
	if stored.GetBody() != "step 1\nstep 2" || stored.GetTitle() != "Promote podinfo.test (2 steps)" {
		t.Errorf("stored title %q body %q", stored.GetTitle(), stored.GetBody())
	}
	want := []string{"GET /repos/acme/config/pulls", "PATCH /repos/acme/config/pulls/1"}
	if got := f.requests(); !slices.Equal(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}
	if n := len(f.repo.PullRequests()); n != 1 {
		t.Errorf("%d pull requests, want 1", n)
	}
}

func TestEnsurePullRequestConcurrentReplicas(t *testing.T) {
	t.Parallel()
	f := setup(t)
	clients := []*forge.GitHub{f.gh, f.client(t), f.client(t), f.client(t)}
	numbers := make([]int, len(clients))
	var wg sync.WaitGroup
	for i, gh := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr, err := gh.EnsurePullRequest(context.Background(), head, "main", "Promote", "body")
			if err != nil {
				t.Error(err)
			}
			numbers[i] = pr.Number
		}()
	}
	wg.Wait()
	if n := len(f.repo.PullRequests()); n != 1 {
		t.Fatalf("%d pull requests, want 1", n)
	}
	for _, n := range numbers {
		if n != 1 {
			t.Errorf("replica got #%d, want #1 (all: %v)", n, numbers)
		}
	}
}

func TestEnsurePullRequestAfterClose(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	first, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote", "body")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.repo.Close(first.Number); err != nil {
		t.Fatal(err)
	}
	second, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote", "body")
	if err != nil {
		t.Fatal(err)
	}
	if second.Number == first.Number || !second.Open() {
		t.Fatalf("after closing #%d Ensure returned %+v, want a new open PR", first.Number, second)
	}
}

func TestApproval(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	pr, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote", "body")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		reviewer string
		state    string
		want     bool
	}{
		{name: "no reviews"},
		{name: "comment only", reviewer: "carol", state: "COMMENTED", want: false},
		{name: "approved", reviewer: "alice", state: "APPROVED", want: true},
		{name: "changes requested by another reviewer", reviewer: "bob", state: "CHANGES_REQUESTED", want: false},
		{name: "a comment does not lift the request", reviewer: "bob", state: "COMMENTED", want: false},
		{name: "bob approves after all", reviewer: "bob", state: "APPROVED", want: true},
		{name: "alice's approval dismissed, bob's stands", reviewer: "alice", state: "DISMISSED", want: true},
		{name: "alice now requests changes", reviewer: "alice", state: "CHANGES_REQUESTED", want: false},
	}
	for _, s := range steps {
		if s.reviewer != "" {
			if err := f.repo.Review(pr.Number, s.reviewer, s.state); err != nil {
				t.Fatal(err)
			}
		}
		got, err := f.gh.GetPullRequest(ctx, pr.Number)
		if err != nil {
			t.Fatal(err)
		}
		if got.Approved != s.want {
			t.Errorf("%s: Approved = %v, want %v", s.name, got.Approved, s.want)
		}
	}
}

func TestApproveAndRequestChangesHelpers(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	pr, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote", "body")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.repo.Approve(pr.Number, "alice"); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.gh.GetPullRequest(ctx, pr.Number); !got.Approved {
		t.Fatal("approved PR not reported as approved")
	}
	if err := f.repo.RequestChanges(pr.Number, "bob"); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.gh.GetPullRequest(ctx, pr.Number); got.Approved {
		t.Fatal("PR with changes requested reported as approved")
	}
}

func TestGetPullRequestNotFound(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, err := f.gh.GetPullRequest(context.Background(), 42)
	if !errors.Is(err, forge.ErrNotFound) || !strings.Contains(err.Error(), "#42") {
		t.Fatalf("GetPullRequest(42) = %v, want ErrNotFound naming #42", err)
	}
}

func TestCloseWithComment(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	pr, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote", "body")
	if err != nil {
		t.Fatal(err)
	}
	f.srv.ResetRequests()
	const why = "Canary analysis failed: request-success-rate 91.2% < 99%. Rolling back."
	if err := f.gh.ClosePullRequest(ctx, pr.Number, why); err != nil {
		t.Fatal(err)
	}
	want := []string{"POST /repos/acme/config/issues/1/comments", "PATCH /repos/acme/config/pulls/1"}
	if got := f.requests(); !slices.Equal(got, want) {
		t.Fatalf("requests %v, want comment then close: %v", got, want)
	}
	if got := f.repo.Comments(pr.Number); !slices.Equal(got, []string{why}) {
		t.Errorf("comments %q", got)
	}
	got, err := f.gh.GetPullRequest(ctx, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Open() || got.Merged || got.MergeCommitSHA != "" {
		t.Errorf("closed PR reads %+v", got)
	}
	// Closing again is harmless.
	if err := f.gh.ClosePullRequest(ctx, pr.Number, ""); err != nil {
		t.Errorf("second close: %v", err)
	}
}

func TestComment(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	pr, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote", "body")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := f.gh.Comment(ctx, pr.Number, fmt.Sprintf("check %d failed", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.repo.Comments(pr.Number); !slices.Equal(got, []string{"check 1 failed", "check 2 failed"}) {
		t.Errorf("comments %q", got)
	}
}

func TestFindPullRequests(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	// Enough unrelated pull requests to need several pages.
	for i := range 150 {
		if _, err := f.gh.EnsurePullRequest(ctx, fmt.Sprintf("feature/%d", i), "main", "feature", ""); err != nil {
			t.Fatal(err)
		}
	}
	rollout, err := f.gh.EnsurePullRequest(ctx, "gitcanary/test/podinfo/rollout-5f1c2e9a", "main", "Rollout", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.repo.Close(rollout.Number); err != nil {
		t.Fatal(err)
	}
	promotion, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.gh.EnsurePullRequest(ctx, "gitcanary/test/podinfo-v2/rollout-1", "main", "Other canary", ""); err != nil {
		t.Fatal(err)
	}
	// Update the features last, so the gitcanary pull requests are on page 2.
	for i := range 150 {
		if err := f.repo.Review(i+1, "alice", "COMMENTED"); err != nil {
			t.Fatal(err)
		}
	}

	got, err := f.gh.FindPullRequests(ctx, "gitcanary/test/podinfo/")
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for _, pr := range got {
		summary = append(summary, fmt.Sprintf("#%d %s %s", pr.Number, pr.HeadRef, pr.State))
	}
	want := []string{
		fmt.Sprintf("#%d %s open", promotion.Number, head),
		fmt.Sprintf("#%d gitcanary/test/podinfo/rollout-5f1c2e9a closed", rollout.Number),
	}
	if !slices.Equal(summary, want) {
		t.Errorf("FindPullRequests = %v, want %v", summary, want)
	}
}

func TestEnsurePullRequestAfterMerge(t *testing.T) {
	t.Parallel()
	const first, second = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	tests := []struct {
		name    string
		after   func(f *fixture) // what happens to the branch after the merge
		wantNew bool
	}{
		{name: "branch unchanged: the gate has passed", after: func(*fixture) {}},
		{name: "branch deleted by GitHub after merge", after: func(f *fixture) { f.repo.DeleteBranch(head) }},
		{name: "branch moved on: a new gate", after: func(f *fixture) { f.repo.SetBranch(head, second) }, wantNew: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			ctx := context.Background()
			f.repo.SetBranch(head, first)
			pr, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote", "body")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.repo.MergeExternally(pr.Number); err != nil {
				t.Fatal(err)
			}
			tt.after(f)
			got, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote (edited)", "new body")
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantNew {
				if got.Number == pr.Number || !got.Open() || got.HeadSHA != second {
					t.Errorf("got %+v, want a new open PR for %s", got, second)
				}
				return
			}
			if got.Number != pr.Number || !got.Merged || got.Title != "Promote" {
				t.Errorf("got %+v, want merged #%d unchanged", got, pr.Number)
			}
			if n := len(f.repo.PullRequests()); n != 1 {
				t.Errorf("%d pull requests, want 1", n)
			}
		})
	}
}
