package forge_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"

	"github.com/gitcanary/gitcanary/gitops/forge"
	"github.com/gitcanary/gitcanary/gitops/forge/githubtest"
)

// testToken looks like a real token so a leak would be easy to spot.
const testToken = "ghp_S3cr3tT0kenN3verInErr0rs0123456789ab"

// fixture is a client wired to a fresh stand-in with one repository.
type fixture struct {
	gh   *forge.GitHub
	srv  *githubtest.Server
	repo *githubtest.Repo
	opts forge.Options
	logs *syncBuffer
}

func setup(t *testing.T) *fixture {
	t.Helper()
	srv := githubtest.NewServer(t, testToken)
	f := &fixture{srv: srv, repo: srv.CreateRepo("acme", "config"), logs: &syncBuffer{}}
	f.opts = forge.Options{
		APIURL:      srv.URL,
		TokenFile:   writeToken(t, testToken+"\n"),
		MaxAttempts: 4,
		Backoff:     5 * time.Millisecond,
		MaxWait:     5 * time.Second,
	}
	f.gh = f.client(t)
	return f
}

// client returns a new client, as after a restart.
func (f *fixture) client(t *testing.T) *forge.GitHub {
	t.Helper()
	log := funcr.New(func(prefix, args string) { f.logs.WriteString(args + "\n") }, funcr.Options{Verbosity: 1})
	gh, err := forge.New(f.opts, "git@github.com:acme/config.git", nil, forge.WithLogger(log))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return gh
}

// requests returns the logged requests as "METHOD path" lines.
func (f *fixture) requests() []string {
	var out []string
	for _, r := range f.srv.Requests() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func writeToken(t *testing.T, token string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// assertNoToken fails if s contains the token.
func assertNoToken(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, testToken) {
		t.Errorf("%s contains the token: %s", what, s)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b.WriteString(s)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
