package analysis_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"

	"github.com/gitcanary/gitcanary/analysis"
)

// Bodies of real Prometheus 2.x /api/v1/query responses.
const (
	vectorOne = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.123,"99.87"]}]}}`
	vectorTwo = `{"status":"success","data":{"resultType":"vector","result":[` +
		`{"metric":{"pod":"a"},"value":[1700000000,"1"]},` +
		`{"metric":{"pod":"b"},"value":[1700000000,"2"]}]}}`
	scalar     = `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"42.5"]}}`
	empty      = `{"status":"success","data":{"resultType":"vector","result":[]}}`
	nan        = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"NaN"]}]}}`
	inf        = `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"+Inf"]}}`
	matrix     = `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"1"],[1700000001,"2"]]}]}}`
	warning    = `{"status":"success","warnings":["PromQL info: metric might not be a counter"],"data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"7"]}]}}`
	badData    = `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unexpected end of input"}`
	serverDown = `<html><body>upstream connect error</body></html>`
)

// promServer serves canned responses and records the requests it got.
type promServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
	form []map[string][]string
}

func newPromServer(t *testing.T, status int, body string, delay time.Duration) *promServer {
	t.Helper()
	s := &promServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		s.mu.Lock()
		s.reqs = append(s.reqs, r)
		s.form = append(s.form, r.Form)
		s.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if status == http.StatusOK || status == http.StatusBadRequest {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *promServer) last() (*http.Request, map[string][]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs[len(s.reqs)-1], s.form[len(s.form)-1]
}

func TestPrometheusQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		delay   time.Duration
		want    float64
		noData  bool
		wantErr string
	}{
		{name: "vector", status: 200, body: vectorOne, want: 99.87},
		{name: "vector with several series takes the last, as Flagger", status: 200, body: vectorTwo, want: 2},
		{name: "scalar", status: 200, body: scalar, want: 42.5},
		{name: "warnings do not fail the query", status: 200, body: warning, want: 7},
		{name: "empty vector", status: 200, body: empty, noData: true},
		{name: "NaN", status: 200, body: nan, noData: true},
		{name: "Inf", status: 200, body: inf, noData: true},
		{name: "matrix", status: 200, body: matrix, wantErr: "query returned a matrix, want an instant vector or a scalar"},
		{name: "bad query", status: 400, body: badData, wantErr: `request failed: bad_data: invalid parameter "query": 1:5: parse error: unexpected end of input`},
		{name: "server error", status: 503, body: serverDown, wantErr: "request failed: server_error: server error: 503"},
		{name: "timeout", status: 200, body: vectorOne, delay: 2 * time.Second, wantErr: "context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newPromServer(t, tt.status, tt.body, tt.delay)
			p, err := analysis.NewPrometheus(srv.URL, analysis.WithTimeout(200*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Query(context.Background(), "up", time.Time{})
			switch {
			case tt.noData:
				if !errors.Is(err, analysis.ErrNoValuesFound) {
					t.Fatalf("err = %v, want ErrNoValuesFound", err)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if errors.Is(err, analysis.ErrNoValuesFound) {
					t.Fatalf("err = %v must not be ErrNoValuesFound", err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Fatalf("value = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestPrometheusQueryRequest(t *testing.T) {
	t.Parallel()
	srv := newPromServer(t, 200, vectorOne, 0)
	p, err := analysis.NewPrometheus(srv.URL+"/prom/", analysis.WithTimeout(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1700000000, 500_000_000)
	if _, err := p.Query(context.Background(), "sum(\n\trate(x[1m])\n)  * 100", at); err != nil {
		t.Fatal(err)
	}
	r, form := srv.last()
	if r.URL.Path != "/prom/api/v1/query" {
		t.Errorf("path = %s, want /prom/api/v1/query", r.URL.Path)
	}
	for k, want := range map[string]string{"query": "sum( rate(x[1m]) ) * 100", "time": "1700000000.5", "timeout": "3s"} {
		if got := strings.Join(form[k], ","); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if _, err := p.Query(context.Background(), "up", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, form := srv.last(); form["time"] != nil {
		t.Errorf("time = %q, want none for a zero time", form["time"])
	}
}

func TestPrometheusCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	token := write("token", "s3cr3t-token\n")
	user, pass := write("username", "alice"), write("password", "pa55word\n")

	t.Run("bearer token", func(t *testing.T) {
		t.Parallel()
		srv := newPromServer(t, 200, vectorOne, 0)
		p, err := analysis.NewPrometheus(srv.URL, analysis.WithBearerTokenFile(token))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Query(context.Background(), "up", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if r, _ := srv.last(); r.Header.Get("Authorization") != "Bearer s3cr3t-token" {
			t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
		}
	})
	t.Run("basic auth", func(t *testing.T) {
		t.Parallel()
		srv := newPromServer(t, 200, vectorOne, 0)
		p, err := analysis.NewPrometheus(srv.URL, analysis.WithBasicAuthFiles(user, pass))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Query(context.Background(), "up", time.Time{}); err != nil {
			t.Fatal(err)
		}
		r, _ := srv.last()
		if u, pw, ok := r.BasicAuth(); !ok || u != "alice" || pw != "pa55word" {
			t.Errorf("basic auth = %q, %q, %v", u, pw, ok)
		}
	})
	t.Run("errors never show credentials", func(t *testing.T) {
		t.Parallel()
		// Nothing listens on port 1.
		for _, addr := range []string{"http://bob:hunter2@127.0.0.1:1", "http://127.0.0.1:1"} {
			p, err := analysis.NewPrometheus(addr, analysis.WithBearerTokenFile(token), analysis.WithTimeout(time.Second))
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Query(context.Background(), "up", time.Time{})
			if err == nil {
				t.Fatal("want an error")
			}
			for _, secret := range []string{"hunter2", "s3cr3t"} {
				if strings.Contains(err.Error(), secret) || strings.Contains(p.Address(), secret) {
					t.Errorf("error %q or address %q shows a credential", err, p.Address())
				}
			}
		}
		if _, err := analysis.NewPrometheus("http://bob:hunter2@[::1"); err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("invalid address error = %v", err)
		}
	})
	t.Run("missing token file", func(t *testing.T) {
		t.Parallel()
		srv := newPromServer(t, 200, vectorOne, 0)
		p, err := analysis.NewPrometheus(srv.URL, analysis.WithBearerTokenFile(filepath.Join(dir, "nope")))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Query(context.Background(), "up", time.Time{})
		if err == nil || !strings.Contains(err.Error(), "reading credentials") || !strings.Contains(err.Error(), "nope") {
			t.Errorf("err = %v, want it to name the token file", err)
		}
	})
}

func TestPrometheusInsecureSkipVerify(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(vectorOne))
	}))
	defer srv.Close()
	strict, err := analysis.NewPrometheus(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strict.Query(context.Background(), "up", time.Time{}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("err = %v, want a certificate error", err)
	}
	insecure, err := analysis.NewPrometheus(srv.URL, analysis.WithInsecureSkipVerify())
	if err != nil {
		t.Fatal(err)
	}
	if v, err := insecure.Query(context.Background(), "up", time.Time{}); err != nil || v != 99.87 {
		t.Errorf("Query = %v, %v", v, err)
	}
}

func TestPrometheusLogsWarnings(t *testing.T) {
	t.Parallel()
	srv := newPromServer(t, 200, warning, 0)
	var mu sync.Mutex
	var logs []string
	log := funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, args)
	}, funcr.Options{})
	p, err := analysis.NewPrometheus(srv.URL, analysis.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Query(context.Background(), "rate(x[1m])", time.Time{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) != 1 || !strings.Contains(logs[0], "metric might not be a counter") || !strings.Contains(logs[0], "rate(x[1m])") {
		t.Errorf("logs = %q", logs)
	}
}

func TestNewPrometheusAddress(t *testing.T) {
	t.Parallel()
	tests := []struct{ addr, wantErr string }{
		{"http://prometheus.monitoring:9090", ""},
		{"https://prom.example.com/prefix", ""},
		{"", "prometheus address is empty"},
		{"prometheus:9090", "prometheus address prometheus:9090: scheme must be http or https"},
		{"http://", "prometheus address http:: host is missing"},
		{"http://a b", "prometheus address is not a valid URL: invalid character \" \" in host name"},
	}
	for _, tt := range tests {
		_, err := analysis.NewPrometheus(tt.addr)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.wantErr {
			t.Errorf("NewPrometheus(%q) error = %q, want %q", tt.addr, got, tt.wantErr)
		}
	}
}
