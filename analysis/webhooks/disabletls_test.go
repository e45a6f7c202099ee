package webhooks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// webhooks[].disableTLS: a hook behind a self-signed certificate is called
// only when the hook asks to skip the verification.
func TestDisableTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	c := webhooks.New()
	p := webhooks.Payload{Name: "podinfo", Namespace: "test", Phase: string(api.PhaseProgressing)}
	err := c.Call(context.Background(), api.Hook{Name: "smoke", URL: srv.URL}, p)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("verified call: %v, want a certificate error", err)
	}
	if err := c.Call(context.Background(), api.Hook{Name: "smoke", URL: srv.URL, DisableTLS: true}, p); err != nil {
		t.Fatalf("disableTLS call: %v", err)
	}
	// The verifying client is untouched.
	if err := c.Call(context.Background(), api.Hook{Name: "smoke", URL: srv.URL}, p); err == nil {
		t.Fatal("verification was switched off for every hook")
	}
}
