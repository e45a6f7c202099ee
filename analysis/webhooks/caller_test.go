package webhooks_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

var payload = webhooks.Payload{Name: "podinfo", Namespace: "test", Phase: "Progressing", Checksum: "x"}

func TestCallStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code    int
		body    string
		wantErr string // "" = success
	}{
		{200, "OK", ""},
		{201, "", ""},
		{202, "", ""},
		{203, "", "status 203"},
		{204, "", "status 204"},
		{403, "Forbidden", "Forbidden"},
		{400, "metadata not found in payload", "metadata not found in payload"},
		{500, "command hey failed:\n  exit status 1\n", "command hey failed: exit status 1"},
		{404, strings.Repeat("x", 300), strings.Repeat("x", 256) + "…"},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.code), func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, func(string, int) (int, string) { return tt.code, tt.body })
			err := fastCaller().Call(context.Background(), api.Hook{Name: "h", URL: rc.URL}, payload)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("status %d: want success, got %v", tt.code, err)
				}
				return
			}
			var se *webhooks.StatusError
			if !errors.As(err, &se) || se.Code != tt.code {
				t.Fatalf("status %d: want *StatusError with that code, got %v", tt.code, err)
			}
			if err.Error() != tt.wantErr {
				t.Fatalf("error text %q, want %q", err.Error(), tt.wantErr)
			}
		})
	}
}

func TestCallTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })

	h := api.Hook{Name: "slow", URL: srv.URL, Timeout: api.Duration{Duration: 50 * time.Millisecond}}
	start := time.Now()
	err := fastCaller().Call(context.Background(), h, payload)
	if !errors.Is(err, webhooks.ErrTimeout) {
		t.Fatalf("want ErrTimeout, got %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("the 50ms timeout took %s", el)
	}
	want := "post " + srv.URL + ": no answer within 50ms: timeout"
	if err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}

func TestCallRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		retries   int
		answer    func(n int) (int, string)
		wantCalls int
		wantErr   string
	}{
		{name: "503 then success", retries: 2, wantCalls: 3,
			answer: func(n int) (int, string) {
				if n < 3 {
					return 503, "overloaded"
				}
				return 200, ""
			}},
		{name: "retries exhausted", retries: 1, wantCalls: 2, wantErr: "giving up after 2 attempts: overloaded",
			answer: func(int) (int, string) { return 503, "overloaded" }},
		{name: "no retries", retries: 0, wantCalls: 1, wantErr: "overloaded",
			answer: func(int) (int, string) { return 503, "overloaded" }},
		{name: "429 retried", retries: 1, wantCalls: 2,
			answer: func(n int) (int, string) {
				if n == 1 {
					return 429, "slow down"
				}
				return 202, ""
			}},
		{name: "403 is an answer, not retried", retries: 3, wantCalls: 1, wantErr: "Forbidden",
			answer: func(int) (int, string) { return 403, "Forbidden" }},
		{name: "501 not retried", retries: 3, wantCalls: 1, wantErr: "status 501",
			answer: func(int) (int, string) { return 501, "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, func(_ string, n int) (int, string) { return tt.answer(n) })
			err := fastCaller().Call(context.Background(), api.Hook{Name: "h", URL: rc.URL, Retries: tt.retries}, payload)
			if got := rc.count("/"); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("want success, got %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestCallRetriesConnectionErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	err := fastCaller().Call(context.Background(), api.Hook{Name: "h", URL: url, Retries: 2}, payload)
	if err == nil || !strings.HasPrefix(err.Error(), "giving up after 3 attempts: post "+url+": ") {
		t.Fatalf("got %v", err)
	}
}

func TestCallRetryAfterHonouredUpToMax(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	c := webhooks.New(webhooks.WithBackoff(time.Millisecond, 30*time.Millisecond))
	start := time.Now()
	err := c.Call(context.Background(), api.Hook{Name: "h", URL: srv.URL, Retries: 1}, payload)
	el := time.Since(start)
	if err == nil {
		t.Fatal("want an error")
	}
	if el < 30*time.Millisecond || el > 3*time.Second {
		t.Fatalf("waited %s, want the 30ms maximum", el)
	}
}

func TestCallContextCanceled(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(string, int) (int, string) { return 503, "" })
	ctx, cancel := context.WithCancel(context.Background())
	c := webhooks.New(webhooks.WithBackoff(time.Hour, time.Hour))
	time.AfterFunc(20*time.Millisecond, cancel)
	err := c.Call(ctx, api.Hook{Name: "h", URL: rc.URL, Retries: 5}, payload)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

func TestCallInvalidURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "loadtester.test/", "ftp://x/", "http://%zz", "/gate/check"} {
		err := fastCaller().Call(context.Background(), api.Hook{Name: "h", URL: u}, payload)
		if !errors.Is(err, webhooks.ErrInvalidURL) {
			t.Errorf("url %q: want ErrInvalidURL, got %v", u, err)
		}
	}
}

// A hook URL that holds credentials and is refused is shown without them:
// the error reaches logs, commits and validate's output.
func TestInvalidURLHidesCredentials(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://deploy:hunter2@load tester/", "ftp://deploy:hunter2@loadtester/", "http://hunter2@%zz/"} {
		err := fastCaller().Call(context.Background(), api.Hook{Name: "h", URL: u}, payload)
		if !errors.Is(err, webhooks.ErrInvalidURL) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("url %q: %v", u, err)
		}
	}
}
