package forge_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/gitops/forge"
)

// statuses returns the HTTP statuses the stand-in answered, in order.
func (f *fixture) statuses() []int {
	var out []int
	for _, r := range f.srv.Requests() {
		out = append(out, r.Status)
	}
	return out
}

func TestRetryServerErrors(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.srv.FailNext(2, http.StatusBadGateway)
	pr, err := f.gh.EnsurePullRequest(context.Background(), head, "main", "Promote", "body")
	if err != nil {
		t.Fatalf("Ensure after two 502s: %v", err)
	}
	if pr.Number != 1 {
		t.Errorf("PR #%d", pr.Number)
	}
	want := []int{502, 502, 200, 201}
	if got := f.statuses(); !slices.Equal(got, want) {
		t.Errorf("answers %v, want %v", got, want)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "retrying") || !strings.Contains(logs, "502") {
		t.Errorf("retries not logged: %s", logs)
	}
	assertNoToken(t, "log", logs)
}

func TestRetryRateLimit(t *testing.T) {
	t.Parallel()
	f := setup(t)
	pr, err := f.gh.EnsurePullRequest(context.Background(), head, "main", "Promote", "body")
	if err != nil {
		t.Fatal(err)
	}
	f.srv.ResetRequests()
	reset := time.Unix(time.Now().Unix()+2, 0)
	f.srv.RateLimitNext(1, reset)
	got, err := f.gh.GetPullRequest(context.Background(), pr.Number)
	if err != nil {
		t.Fatalf("GetPullRequest after a rate limit: %v", err)
	}
	if now := time.Now(); now.Before(reset) {
		t.Errorf("retried at %s, before the rate limit reset at %s", now.Format(time.StampMilli), reset.Format(time.StampMilli))
	}
	if got.Number != pr.Number {
		t.Errorf("got #%d", got.Number)
	}
	if want := []int{403, 200, 200}; !slices.Equal(f.statuses(), want) {
		t.Errorf("answers %v, want %v (403, then the PR and its reviews)", f.statuses(), want)
	}
}

func TestRetrySecondaryRateLimit(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.srv.SecondaryRateLimitNext(1, time.Second)
	start := time.Now()
	if _, err := f.gh.CommitChecks(context.Background(), "0123456789abcdef0123456789abcdef01234567", "kustomization/apps"); err != nil {
		t.Fatalf("CommitChecks after a secondary rate limit: %v", err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %s, GitHub asked for Retry-After: 1", d)
	}
}

func TestGiveUp(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.srv.FailNext(100, http.StatusServiceUnavailable)
	_, err := f.gh.GetPullRequest(context.Background(), 1)
	if !errors.Is(err, forge.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	for _, want := range []string{"github: get pull request #1", "giving up after 4 attempts", "503"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if n := len(f.srv.Requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
	assertNoToken(t, "error", err.Error())
}

func TestRateLimitTooLong(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.srv.RateLimitNext(1, time.Now().Add(time.Hour))
	start := time.Now()
	_, err := f.gh.EnsurePullRequest(context.Background(), head, "main", "Promote", "body")
	if !errors.Is(err, forge.ErrRateLimited) || !strings.Contains(err.Error(), "more than the 5s allowed") {
		t.Fatalf("err = %v, want ErrRateLimited saying it will not wait", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s, want an immediate error", d)
	}
	// While the limit is known to be exhausted, nothing is sent.
	_, err = f.gh.GetPullRequest(context.Background(), 1)
	if !errors.Is(err, forge.ErrRateLimited) {
		t.Fatalf("second call: %v, want ErrRateLimited", err)
	}
	if n := len(f.srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	assertNoToken(t, "error", err.Error())
}

func TestRetryHonoursContext(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.opts.Backoff, f.opts.MaxWait = 10*time.Second, 20*time.Second
	gh := f.client(t)
	f.srv.FailNext(100, http.StatusBadGateway)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := gh.Comment(ctx, 1, "hello")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %s", d)
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.opts.TokenFile = writeToken(t, "ghp_WrongTokenAlsoSecret0123456789")
	gh := f.client(t)
	_, err := gh.EnsurePullRequest(context.Background(), head, "main", "Promote", "body")
	if err == nil || !strings.Contains(err.Error(), "401 Bad credentials") {
		t.Fatalf("err = %v, want 401 Bad credentials", err)
	}
	if errors.Is(err, forge.ErrUnavailable) || errors.Is(err, forge.ErrRateLimited) {
		t.Errorf("401 classified as transient: %v", err)
	}
	if n := len(f.srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1 (no retry)", n)
	}
	if strings.Contains(err.Error(), "ghp_WrongTokenAlsoSecret") {
		t.Errorf("error leaks the token: %v", err)
	}
}
