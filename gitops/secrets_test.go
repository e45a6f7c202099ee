package gitops

import (
	"bytes"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gitcanary/gitcanary/fixtures/gitserve"
)

// assertNoSecretOnDisk fails if any file under dir holds secret.
func assertNoSecretOnDisk(t *testing.T, dir, secret string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("%s holds the secret:\n%s", p, data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("only %d files under %s: not a clone", n, dir)
	}
}

func TestCredentialsInTheURLStayInMemory(t *testing.T) {
	t.Parallel()
	const token = "ghp_urlT0kenS3cret"
	remote := newRemote(t, map[string]string{"a.yaml": "a: 1\n"})
	run(t, remote, "config", "http.receivepack", "true")
	base, _ := serveGit(t, filepath.Dir(remote), token)
	public := base + "/" + filepath.Base(remote)
	url := strings.Replace(public, "http://", "http://git:"+token+"@", 1)
	wd := filepath.Join(t.TempDir(), "wd")
	ctx := testContext(t)

	r, err := OpenRepo(ctx, RepoOptions{URL: url, Branch: "main", Workdir: wd})
	if err != nil {
		t.Fatalf("OpenRepo with credentials in the URL: %v", err)
	}
	tip, err := r.Commit(r.Head(), map[string][]byte{"a.yaml": []byte("a: 2\n")}, "Advance\n", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Push(ctx, tip); err != nil {
		t.Fatalf("Push: %v", err)
	}
	if _, err := r.Fetch(ctx); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if got := run(t, wd, "config", "remote.origin.url"); got != public {
		t.Errorf("remote.origin.url = %q, want %q", got, public)
	}
	assertNoSecretOnDisk(t, wd, token)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	// A workdir of an older gitcanary holds the URL with its token: the
	// next start takes the clone over and rewrites the config.
	run(t, wd, "config", "remote.origin.url", url)
	r, err = OpenRepo(ctx, RepoOptions{URL: url, Branch: "main", Workdir: wd})
	if err != nil {
		t.Fatalf("reopen a workdir with credentials in its config: %v", err)
	}
	defer r.Close()
	if r.Head() != tip {
		t.Fatalf("Head = %s, want %s", r.Head(), tip)
	}
	assertNoSecretOnDisk(t, wd, token)
}

func TestURLErrorsHideCredentials(t *testing.T) {
	t.Parallel()
	const secret = "S3cr3tPw"
	tests := []struct{ name, url string }{
		{"invalid port", "https://git:" + secret + "@example.com:ssh/org/repo.git"},
		{"invalid escape", "https://git:" + secret + "@example.com/org/%zz.git"},
		{"slash in the password", "https://git:" + secret + "/x@example.com:99999999/org/repo.git"},
		{"at sign in the password", "https://git:" + secret + "@x@[::1/org/repo.git"},
		{"token as user name", "https://" + secret + "@exa mple.com/org/repo.git"},
		{"ssh password", "ssh://git:" + secret + "@exa mple.com/org/repo.git"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := OpenRepo(testContext(t), RepoOptions{URL: tt.url, Branch: "main", Workdir: filepath.Join(t.TempDir(), "wd")})
			if err == nil {
				t.Fatal("OpenRepo accepted a URL that does not parse")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error echoes the password: %v", err)
			}
			if !strings.Contains(err.Error(), "parse repository URL") {
				t.Errorf("error does not say the URL is bad: %v", err)
			}
			if got := SanitizeURL(tt.url); strings.Contains(got, secret) {
				t.Errorf("SanitizeURL(%q) = %q", tt.url, got)
			}
			t.Log(err)
		})
	}
}

// CI runners set $GITHUB_TOKEN for their own repository: it must never be
// sent to a host that is not github.com.
func TestGitHubTokenStaysWithGitHub(t *testing.T) {
	const token = "ghs_runnerT0ken"
	t.Setenv(EnvGitHubToken, token)
	remote := newRemote(t, map[string]string{"a.yaml": "a: 1\n"})
	backend := gitserve.Backend(t, filepath.Dir(remote))
	var mu sync.Mutex
	var sent []string
	url := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if _, p, ok := r.BasicAuth(); ok {
			sent = append(sent, p)
		}
		mu.Unlock()
		backend.ServeHTTP(w, r)
	})) + "/" + filepath.Base(remote)

	r, err := OpenRepo(testContext(t), RepoOptions{URL: url, Branch: "main", Workdir: filepath.Join(t.TempDir(), "wd")})
	if err != nil {
		t.Fatalf("OpenRepo of a public remote: %v", err)
	}
	defer r.Close()
	mu.Lock()
	defer mu.Unlock()
	for _, p := range sent {
		if p == token {
			t.Fatalf("$%s was sent to %s", EnvGitHubToken, url)
		}
	}

	if tok, _ := (AuthOptions{}).token("github.com"); tok != token {
		t.Errorf("token for github.com = %q, want $%s", tok, EnvGitHubToken)
	}
}
