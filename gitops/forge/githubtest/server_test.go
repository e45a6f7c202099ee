package githubtest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/gitcanary/gitcanary/gitops/forge/githubtest"
)

func client(t *testing.T, srv *githubtest.Server, token string) *github.Client {
	t.Helper()
	c, err := github.NewClient(nil).WithAuthToken(token).WithEnterpriseURLs(srv.URL, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAuthorization(t *testing.T) {
	t.Parallel()
	srv := githubtest.NewServer(t, "right")
	srv.CreateRepo("acme", "config")
	_, _, err := client(t, srv, "wrong").PullRequests.Get(context.Background(), "acme", "config", 1)
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token: %v, want 401", err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Status != http.StatusUnauthorized || reqs[0].Path != "/repos/acme/config/pulls/1" {
		t.Errorf("request log %+v", reqs)
	}
}

func TestUnknownRepo(t *testing.T) {
	t.Parallel()
	srv := githubtest.NewServer(t, "tok")
	_, _, err := client(t, srv, "tok").PullRequests.List(context.Background(), "acme", "nope", nil)
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown repo: %v, want 404", err)
	}
}

// TestStatusesThroughAPI shows that a simulated GitOps agent can set commit
// statuses over HTTP, as notification-controller does.
func TestStatusesThroughAPI(t *testing.T) {
	t.Parallel()
	srv := githubtest.NewServer(t, "tok")
	srv.CreateRepo("acme", "config")
	c := client(t, srv, "tok")
	ctx := context.Background()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	for _, state := range []string{"pending", "success"} {
		_, _, err := c.Repositories.CreateStatus(ctx, "acme", "config", sha, &github.RepoStatus{
			State: github.String(state), Context: github.String("kustomization/apps/3f2a1b4c"),
			Description: github.String("reconciliation " + state),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	cs, _, err := c.Repositories.GetCombinedStatus(ctx, "acme", "config", sha, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cs.GetState() != "success" || len(cs.Statuses) != 1 || cs.Statuses[0].GetDescription() != "reconciliation success" {
		t.Errorf("combined status %v", cs)
	}
	if _, _, err := c.Repositories.CreateStatus(ctx, "acme", "config", sha, &github.RepoStatus{State: github.String("done")}); err == nil {
		t.Error("invalid state accepted")
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv := githubtest.NewServer(t, "tok")
	srv.CreateRepo("acme", "config")
	c := client(t, srv, "tok")
	ctx := context.Background()
	srv.FailNext(1, http.StatusBadGateway)
	srv.SecondaryRateLimitNext(1, 0)
	if _, _, err := c.PullRequests.List(ctx, "acme", "config", nil); err == nil {
		t.Fatal("injected 502 not served")
	}
	var abuse *github.AbuseRateLimitError
	if _, _, err := c.PullRequests.List(ctx, "acme", "config", nil); !errors.As(err, &abuse) {
		t.Fatalf("secondary rate limit: %v, want AbuseRateLimitError", err)
	}
	if _, _, err := c.PullRequests.List(ctx, "acme", "config", nil); err != nil {
		t.Fatalf("faults not used up: %v", err)
	}
}
