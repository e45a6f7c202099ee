package analysis_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis"
)

func TestPrometheusFactory(t *testing.T) {
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
	f := analysis.NewPrometheusFactory(dir, analysis.WithTimeout(time.Second))

	p := analysis.Provider{Type: "prometheus", Address: srv.URL, SecretRef: &analysis.SecretRef{Name: "prom-auth"}}
	q, err := f.Querier(p, "monitoring")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := q.Query(context.Background(), "up", time.Time{}); err != nil || v != 99.87 {
		t.Fatalf("Query = %v, %v", v, err)
	}
	if r, _ := srv.last(); r.Header.Get("Authorization") != "Bearer tok3n" {
		t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
	}
	if again, _ := f.Querier(p, "monitoring"); again != q {
		t.Error("the factory built a second client for the same provider")
	}

	for _, tt := range []struct {
		p       analysis.Provider
		ns      string
		wantErr string
	}{
		{analysis.Provider{Type: "datadog"}, "test", `provider "datadog" is not supported yet (supported: prometheus)`},
		{analysis.Provider{Type: "prometheus", Address: srv.URL, SecretRef: &analysis.SecretRef{Name: "../../etc"}}, "test", `secret "../../etc" in namespace "test": not a valid Kubernetes name`},
		{analysis.Provider{Type: "prometheus", Address: srv.URL, SecretRef: &analysis.SecretRef{Name: "empty"}}, "monitoring", "secret monitoring/empty: " + filepath.Join(dir, "monitoring", "empty") + " has neither a token file nor username and password files"},
		{analysis.Provider{Type: "prometheus", Address: "prom:9090"}, "test", "prometheus address prom:9090: scheme must be http or https"},
	} {
		if _, err := f.Querier(tt.p, tt.ns); err == nil || err.Error() != tt.wantErr {
			t.Errorf("Querier(%+v) error = %v, want %s", tt.p, err, tt.wantErr)
		}
	}
	noDir := analysis.NewPrometheusFactory("")
	if _, err := noDir.Querier(p, "monitoring"); err == nil || err.Error() != "secret monitoring/prom-auth: no credentials directory configured to read it from" {
		t.Errorf("error = %v", err)
	}
}

// An unreachable Prometheus fails the check with Flagger's text.
func TestEvaluateUnreachablePrometheus(t *testing.T) {
	t.Parallel()
	srv := newPromServer(t, 200, vectorOne, 0)
	addr := srv.URL
	srv.Close()
	p, err := analysis.NewPrometheus(addr, analysis.WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	res := analysis.Evaluate(context.Background(), p, newCanary(successRate), nil, time.Now())
	f, ok := analysis.Failed(res)
	want := `Prometheus query failed: running query failed: request failed: Post "` + addr + `/api/v1/query": dial tcp `
	if !ok || f.Err == nil || !strings.HasPrefix(f.Halt, want) || !strings.HasSuffix(f.Halt, "connection refused") {
		t.Errorf("Failed = %+v, %v; want Halt starting with %q", f, ok, want)
	}
}
