package analysis_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/analysis/secrets"
)

func TestFactoryPrometheus(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "monitoring", "prom-auth"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "monitoring", "prom-auth", "token"), []byte("tok3n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "monitoring", "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	srv := newPromServer(t, 200, vectorOne, 0)
	f := analysis.NewFactory(secrets.Dir(dir))

	p := analysis.Provider{Type: "prometheus", Address: srv.URL, SecretRef: &analysis.SecretRef{Name: "prom-auth"}, Headers: map[string][]string{"X-Scope-OrgID": {"tenant-1"}}}
	q, err := f.Querier(p, "monitoring", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := q.Query(context.Background(), "up", time.Time{}); err != nil || v != 99.87 {
		t.Fatalf("Query = %v, %v", v, err)
	}
	r, _ := srv.last()
	if r.Header.Get("Authorization") != "Bearer tok3n" || r.Header.Get("X-Scope-OrgID") != "tenant-1" {
		t.Errorf("Authorization = %q, X-Scope-OrgID = %q", r.Header.Get("Authorization"), r.Header.Get("X-Scope-OrgID"))
	}

	for _, tt := range []struct {
		p       analysis.Provider
		ns      string
		wantErr string
	}{
		{analysis.Provider{Type: "skywalking"}, "test", `unknown provider type "skywalking"`},
		{analysis.Provider{Type: "prometheus", Address: srv.URL, SecretRef: &analysis.SecretRef{Name: "../../etc"}}, "test", `secret "../../etc" in namespace "test": not a valid Kubernetes name`},
		{analysis.Provider{Type: "prometheus", Address: "prom:9090"}, "test", "prometheus address prom:9090: scheme must be http or https"},
		{analysis.Provider{Type: "cloudwatch"}, "test", "cloudwatch needs spec.provider.region"},
		{analysis.Provider{Type: "graphite"}, "test", "graphite needs spec.provider.address"},
	} {
		if _, err := f.Querier(tt.p, tt.ns, time.Minute); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Querier(%+v) error = %v, want %q", tt.p, err, tt.wantErr)
		}
	}
	// A Secret without the keys fails at query time, naming the file.
	q, err = f.Querier(analysis.Provider{Type: "prometheus", Address: srv.URL, SecretRef: &analysis.SecretRef{Name: "empty"}}, "monitoring", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Query(context.Background(), "up", time.Time{}); err == nil || !strings.Contains(err.Error(), `secret monitoring/empty has no key "username"`) {
		t.Errorf("empty secret: %v", err)
	}
	noDir := analysis.NewFactory(nil)
	q, _ = noDir.Querier(p, "monitoring", time.Minute)
	if _, err := q.Query(context.Background(), "up", time.Time{}); err == nil || !strings.Contains(err.Error(), "no secrets directory configured") {
		t.Errorf("no secrets dir: %v", err)
	}
}
