package gitops

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gitcanary/gitcanary/fixtures/gitserve"
)

// serveGit serves the bare repositories under root with git http-backend
// on 127.0.0.1, accepting only basic auth with user "git" and token.
func serveGit(t *testing.T, root, token string) (url string, denied *atomic.Int32) {
	t.Helper()
	backend := gitserve.Backend(t, root)
	denied = new(atomic.Int32)
	url = serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "git" || p != token {
			denied.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	return url, denied
}

// serveHTTP serves h on 127.0.0.1 until the test ends and returns its URL.
func serveHTTP(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestHTTPCloneCommitPushWithToken(t *testing.T) {
	const token = "ghp_s3cr3tT0ken"
	remote := newRemote(t, map[string]string{"apps/podinfo/status.yaml": "phase: Initialized\n"})
	run(t, remote, "config", "http.receivepack", "true")
	base, denied := serveGit(t, filepath.Dir(remote), token)
	url := base + "/" + filepath.Base(remote)

	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)

	// A wrong token is refused, and the error does not show it.
	t.Setenv(EnvToken, "wrong-"+token)
	_, err := OpenRepo(ctx, RepoOptions{URL: url, Branch: "main", Workdir: filepath.Join(t.TempDir(), "wd")})
	if err == nil {
		t.Fatal("OpenRepo with a wrong token succeeded")
	}
	if strings.Contains(err.Error(), token) {
		t.Fatalf("error leaks the token: %v", err)
	}
	if denied.Load() == 0 {
		t.Fatal("server saw no refused request")
	}

	// The token file wins over the environment.
	r, err := OpenRepo(ctx, RepoOptions{URL: url, Branch: "main", Workdir: filepath.Join(t.TempDir(), "wd"),
		Auth: AuthOptions{TokenFile: tokenFile}})
	if err != nil {
		t.Fatalf("OpenRepo over http: %v", err)
	}
	defer r.Close()
	if got := run(t, remote, "rev-parse", "main"); r.Head().String() != got {
		t.Fatalf("Head = %s, want %s", r.Head(), got)
	}
	c, err := r.Commit(r.Head(), map[string][]byte{"apps/podinfo/status.yaml": []byte("phase: Progressing\n")},
		"Advance podinfo.test canary weight 5\n", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Push(ctx, c); err != nil {
		t.Fatalf("push over http: %v", err)
	}
	if got := run(t, remote, "show", "main:apps/podinfo/status.yaml"); got != "phase: Progressing" {
		t.Fatalf("pushed content = %q", got)
	}

	// A conflict over http is reported as such, without the token.
	otherCommit(t, remote, map[string]string{"ci.txt": "bump\n"}, "CI bump")
	c2, err := r.Commit(c, map[string][]byte{"apps/podinfo/status.yaml": []byte("phase: Promoting\n")}, "Promote\n", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Push(ctx, c2)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("push over a moved branch: %v, want ErrConflict", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Fatalf("error leaks the token: %v", err)
	}

	// A URL carrying the token itself is never shown in errors.
	leaky := strings.Replace(url, "http://", "http://git:"+token+"@", 1) + "-missing"
	_, err = OpenRepo(ctx, RepoOptions{URL: leaky, Branch: "main", Workdir: filepath.Join(t.TempDir(), "wd")})
	if err == nil || strings.Contains(err.Error(), token) {
		t.Fatalf("error for a URL with credentials: %v", err)
	}
	t.Logf("errors read: %v", err)
}
