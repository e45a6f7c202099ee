package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/go-github/v60/github"
)

// do runs call with retries and returns its error wrapped with op, the
// matching sentinel and the token redacted. call gets a context bounded by
// the per-attempt timeout.
func (g *GitHub) do(ctx context.Context, op string, call func(ctx context.Context) error) error {
	err := g.retry(ctx, op, call)
	if err == nil {
		return nil
	}
	return redact(fmt.Errorf("github: %s: %w", op, err), g.token)
}

func (g *GitHub) retry(ctx context.Context, op string, call func(ctx context.Context) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, g.opts.RequestTimeout)
		err = call(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait, class := g.classify(err, attempt)
		if class == nil {
			return classifyFinal(err)
		}
		if attempt >= g.opts.MaxAttempts {
			return fmt.Errorf("%w: giving up after %d attempts: %w", class, attempt, err)
		}
		if wait > g.opts.MaxWait {
			return fmt.Errorf("%w: GitHub asks to wait %s, more than the %s allowed: %w",
				class, wait.Round(time.Second), g.opts.MaxWait, err)
		}
		g.log.V(1).Info("github request failed, retrying", "op", op, "attempt", attempt,
			"wait", wait.String(), "error", redact(err, g.token).Error())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// classify says whether err is worth another attempt: it returns the wait
// before the next one and the sentinel of the failure class, or a nil class
// for errors that will not go away by retrying.
func (g *GitHub) classify(err error, attempt int) (time.Duration, error) {
	backoff := g.opts.Backoff << min(attempt-1, 16)
	if backoff > g.opts.MaxWait || backoff <= 0 {
		backoff = g.opts.MaxWait
	}
	var rle *github.RateLimitError
	if errors.As(err, &rle) {
		if d := time.Until(rle.Rate.Reset.Time); d > 0 {
			// go-github refuses to send until Reset has passed.
			return d + 50*time.Millisecond, ErrRateLimited
		}
		return backoff, ErrRateLimited
	}
	var are *github.AbuseRateLimitError
	if errors.As(err, &are) {
		if are.RetryAfter != nil && *are.RetryAfter > 0 {
			return *are.RetryAfter, ErrRateLimited
		}
		return backoff, ErrRateLimited
	}
	var accepted *github.AcceptedError
	if errors.As(err, &accepted) {
		return backoff, ErrUnavailable
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) {
		if er.Response == nil {
			return 0, nil
		}
		code := er.Response.StatusCode
		switch {
		case code == http.StatusTooManyRequests:
			return retryAfter(er.Response, backoff), ErrRateLimited
		case code >= 500:
			return retryAfter(er.Response, backoff), ErrUnavailable
		}
		return 0, nil
	}
	// No HTTP answer: a network error or the per-attempt timeout.
	var ue *url.Error
	if errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded) {
		return backoff, ErrUnavailable
	}
	return 0, nil
}

// retryAfter returns the wait GitHub asked for in Retry-After (seconds) or
// X-RateLimit-Reset (epoch seconds), else def.
func retryAfter(resp *http.Response, def time.Duration) time.Duration {
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			if d := time.Until(time.Unix(s, 0)); d > 0 {
				return d
			}
		}
	}
	return def
}

// classifyFinal adds the sentinel for a final (not retried) GitHub error.
func classifyFinal(err error) error {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}
