package gitops

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/fixtures/gitserve"
)

// stallGuard is how long a test waits for a call that should have timed out
// long before: past it, the call hangs, which is the bug under test.
const stallGuard = 20 * time.Second

// silentListener accepts TCP connections on 127.0.0.1 and never answers,
// like a remote behind a stuck proxy. It returns host:port.
func silentListener(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// hangingGit serves the bare repositories under root with git http-backend,
// except that requests for which hang is true get no answer until the
// client gives up.
func hangingGit(t testing.TB, root string, hang func(*http.Request) bool) string {
	t.Helper()
	backend := gitserve.Backend(t, root)
	done := make(chan struct{})
	url := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang(r) {
			select {
			case <-r.Context().Done():
			case <-done:
			}
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { close(done) }) // before the server's Close, which waits for handlers
	return url
}

// service reports whether r is a POST to a git service (git-upload-pack or
// git-receive-pack): the request after the ref advertisement.
func service(name string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/"+name)
	}
}

// stallOnPath puts a program called name first on PATH that reads its input
// and never writes: a local git server that accepts the call and never
// answers. go-git runs git-upload-pack and git-receive-pack from PATH for
// file:// remotes.
func stallOnPath(t *testing.T, name string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\nexec cat\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// within runs fn and fails the test if it has not returned after stallGuard.
func within(t *testing.T, fn func() error) (time.Duration, error) {
	t.Helper()
	start := time.Now()
	res := make(chan error, 1)
	go func() { res <- fn() }()
	select {
	case err := <-res:
		return time.Since(start), err
	case <-time.After(stallGuard):
		t.Fatalf("the call still hangs after %s", stallGuard)
		return 0, nil
	}
}

// stalledRemote makes a remote that accepts the call and never answers.
type stalledRemote struct {
	name string
	url  func(t *testing.T) string
}

// stalledRemotes are remotes, one per transport and stage, that stall a
// fetch of remote.
func stalledRemotes(remote string) []stalledRemote {
	root := filepath.Dir(remote)
	return []stalledRemote{
		{name: "http: accepts the connection, never answers", url: func(t *testing.T) string {
			return "http://" + silentListener(t) + "/remote.git"
		}},
		{name: "http: info/refs hangs", url: func(t *testing.T) string {
			return hangingGit(t, root, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/info/refs") }) + "/remote.git"
		}},
		{name: "http: ref advertisement, then upload-pack hangs", url: func(t *testing.T) string {
			return hangingGit(t, root, service("git-upload-pack")) + "/remote.git"
		}},
		{name: "ssh: accepts the connection, no handshake", url: func(t *testing.T) string {
			return "ssh://git@" + silentListener(t) + "/remote.git"
		}},
		{name: "file: upload-pack never answers", url: func(t *testing.T) string {
			stallOnPath(t, "git-upload-pack")
			return "file://" + remote
		}},
	}
}

// openStalled opens url with the timeout and ctx, failing the test if the
// call hangs.
func openStalled(t *testing.T, ctx context.Context, url string, timeout time.Duration) (time.Duration, error) {
	t.Helper()
	key, _ := newSSHKey(t, t.TempDir(), "id_ed25519")
	return within(t, func() error {
		r, err := OpenRepo(ctx, RepoOptions{URL: url, Branch: "main", Workdir: filepath.Join(t.TempDir(), "wd"), Timeout: timeout,
			Auth: AuthOptions{SSHKeyFile: key, InsecureIgnoreHostKey: true}})
		if err == nil {
			_ = r.Close()
		}
		return err
	})
}

func TestFetchTimesOutOnAStalledRemote(t *testing.T) {
	for _, tt := range stalledRemotes(newRemote(t, map[string]string{"a.yaml": "a: 1\n"})) {
		t.Run(tt.name, func(t *testing.T) {
			took, err := openStalled(t, context.Background(), tt.url(t), 300*time.Millisecond)
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("OpenRepo = %v, want ErrTimeout", err)
			}
			if !strings.Contains(err.Error(), "--git-timeout") || !strings.Contains(err.Error(), "fetch main from") {
				t.Errorf("error does not say what timed out: %v", err)
			}
			t.Logf("after %s: %v", took.Round(time.Millisecond), err)
		})
	}
}

// A cancelled context (SIGTERM) aborts a stalled fetch at once, whatever
// the timeout, over each transport.
func TestFetchAbortsWhenContextIsCancelled(t *testing.T) {
	for _, tt := range stalledRemotes(newRemote(t, map[string]string{"a.yaml": "a: 1\n"})) {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url(t)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			took, err := openStalled(t, ctx, url, time.Hour)
			if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
				t.Fatalf("OpenRepo with a cancelled context = %v, want context.Canceled", err)
			}
			t.Logf("after %s: %v", took.Round(time.Millisecond), err)
		})
	}
}

func TestPushTimesOutOnAStalledRemote(t *testing.T) {
	const timeout = 300 * time.Millisecond
	tests := []struct {
		name string
		url  func(t *testing.T, remote string) string
	}{
		{name: "http: receive-pack hangs", url: func(t *testing.T, remote string) string {
			run(t, remote, "config", "http.receivepack", "true")
			return hangingGit(t, filepath.Dir(remote), service("git-receive-pack")) + "/" + filepath.Base(remote)
		}},
		{name: "file: receive-pack never answers", url: func(t *testing.T, remote string) string {
			stallOnPath(t, "git-receive-pack")
			return "file://" + remote
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			remote := newRemote(t, map[string]string{"a.yaml": "a: 1\n"})
			before := run(t, remote, "rev-parse", "main")
			// The clone is not what stalls: it gets a timeout a loaded
			// machine keeps; the push gets the short one.
			r, err := OpenRepo(testContext(t), RepoOptions{URL: tt.url(t, remote), Branch: "main", Workdir: filepath.Join(t.TempDir(), "wd"), Timeout: time.Minute})
			if err != nil {
				t.Fatalf("OpenRepo: %v", err)
			}
			defer r.Close()
			r.opts.Timeout = timeout
			tip, err := r.Commit(r.Head(), map[string][]byte{"a.yaml": []byte("a: 2\n")}, "Advance\n", testAuthor, testTime)
			if err != nil {
				t.Fatal(err)
			}
			took, err := within(t, func() error { return r.Push(context.Background(), tip) })
			if !errors.Is(err, ErrTimeout) || errors.Is(err, ErrConflict) {
				t.Fatalf("Push = %v, want ErrTimeout", err)
			}
			if got := run(t, remote, "rev-parse", "main"); got != before {
				t.Fatalf("remote main moved to %s after a push that timed out", got)
			}
			if r.Head().String() != before {
				t.Fatalf("Head = %s after a failed push, want %s", r.Head(), before)
			}
			t.Logf("after %s: %v", took.Round(time.Millisecond), err)
		})
	}
}
