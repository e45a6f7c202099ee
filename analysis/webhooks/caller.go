package webhooks

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// DefaultTimeout bounds one attempt of a hook that sets no timeout, as in
// Flagger.
const DefaultTimeout = 10 * time.Second

// Default backoff bounds between two attempts of a hook with retries: those
// of the retryablehttp client Flagger uses.
const (
	DefaultBackoffMin = 1 * time.Second
	DefaultBackoffMax = 30 * time.Second
)

// maxBody bounds how much of a response is read.
const maxBody = 64 << 10

// Caller calls Flagger webhooks. The zero value is not usable; use New.
type Caller struct {
	// Client sends the requests. Each attempt is bounded by the hook's
	// timeout through its context; a Client.Timeout applies on top.
	Client *http.Client

	now        func() time.Time
	backoffMin time.Duration
	backoffMax time.Duration
	eventURL   string

	insecureOnce sync.Once
	insecure     *http.Client
}

// Option configures a Caller.
type Option func(*Caller)

// WithClient sets the HTTP client (default: a client with
// http.DefaultTransport).
func WithClient(c *http.Client) Option {
	return func(cl *Caller) { cl.Client = c }
}

// WithClock sets the clock that stamps event hooks (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *Caller) { c.now = now }
}

// WithBackoff sets the wait between two attempts of a hook with retries:
// min doubled at each retry, at most max (defaults DefaultBackoffMin and
// DefaultBackoffMax). A Retry-After header of a 429 or 503 answer is
// honoured up to max.
func WithBackoff(min, max time.Duration) Option {
	return func(c *Caller) { c.backoffMin, c.backoffMax = min, max }
}

// WithEventWebhook sets a URL that receives every event of canaries that
// have no hook of type event, as Flagger's -event-webhook flag does.
func WithEventWebhook(rawURL string) Option {
	return func(c *Caller) { c.eventURL = rawURL }
}

// New returns a Caller.
func New(opts ...Option) *Caller {
	c := &Caller{
		Client:     &http.Client{},
		now:        time.Now,
		backoffMin: DefaultBackoffMin,
		backoffMax: DefaultBackoffMax,
	}
	for _, o := range opts {
		o(c)
	}
	if c.Client == nil {
		c.Client = &http.Client{}
	}
	return c
}

// Call POSTs the payload to the hook and reports whether it accepted it.
//
// It returns nil when the hook answered with an HTTP status up to 202. A
// higher status is a *StatusError carrying the response body. A hook that
// does not answer within its timeout (DefaultTimeout when unset) fails with
// an error wrapping ErrTimeout; an unusable url with one wrapping
// ErrInvalidURL. A hook with retries is tried again on connection errors,
// timeouts, 429 and 5xx except 501, and then fails with "giving up after N
// attempts: " and the last error. When ctx ends first, the error wraps
// ctx's error (context.Canceled or context.DeadlineExceeded): the hook was
// not judged.
func (c *Caller) Call(ctx context.Context, h api.Hook, p Payload) error {
	u, err := parseURL(h.URL)
	if err != nil {
		return err
	}
	body, err := p.Marshal()
	if err != nil {
		return fmt.Errorf("encode payload: %w", err)
	}
	timeout := h.Timeout.Duration
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	attempts := 1 + max(0, h.Retries)
	var last error
	var wait time.Duration // Retry-After of the last answer
	for i := range attempts {
		if i > 0 {
			if err := sleep(ctx, c.backoff(i-1, wait)); err != nil {
				return fmt.Errorf("post %s: %w", u.Redacted(), err)
			}
		}
		var retry bool
		retry, wait, err = c.attempt(ctx, c.clientFor(h), u, body, timeout)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("post %s: %w", u.Redacted(), context.Cause(ctx))
		}
		last = err
		if !retry {
			break
		}
		if i == attempts-1 && attempts > 1 {
			return fmt.Errorf("giving up after %d attempts: %w", attempts, last)
		}
	}
	return last
}

// attempt sends one request. retry says whether Flagger's policy would try
// again after err, wait is the answer's Retry-After.
func (c *Caller) attempt(ctx context.Context, client *http.Client, u *url.URL, body []byte, timeout time.Duration) (retry bool, wait time.Duration, err error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return false, 0, fmt.Errorf("post %s: %w", u.Redacted(), err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || isTimeout(err)) {
			return true, 0, fmt.Errorf("post %s: no answer within %s: %w", u.Redacted(), timeout, ErrTimeout)
		}
		return retryableTransport(err), 0, fmt.Errorf("post %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode <= http.StatusAccepted {
		return false, 0, nil
	}
	return retryableStatus(resp.StatusCode), retryAfter(resp), &StatusError{Code: resp.StatusCode, Body: string(b)}
}

// clientFor returns the client of a hook: with disableTLS, a copy of
// Client whose transport skips certificate verification, as Flagger does.
func (c *Caller) clientFor(h api.Hook) *http.Client {
	if !h.DisableTLS {
		return c.Client
	}
	c.insecureOnce.Do(func() {
		t, ok := c.Client.Transport.(*http.Transport)
		if c.Client.Transport == nil {
			t, ok = http.DefaultTransport.(*http.Transport), true
		}
		if !ok {
			c.insecure = c.Client
			return
		}
		t = t.Clone()
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{}
		}
		t.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // the hook's disableTLS asks for it
		cc := *c.Client
		cc.Transport = t
		c.insecure = &cc
	})
	return c.insecure
}
