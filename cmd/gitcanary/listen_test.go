package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// listening is `gitcanary run --listen` started as a process on a bare
// repository, with its webhook secret in a file and --interval 1h: every
// pass after the first is one a push webhook asked for.
type listening struct {
	t      *testing.T
	addr   string
	remote string
	secret string
	mu     sync.Mutex
	logs   bytes.Buffer
}

func startListening(t *testing.T) *listening {
	t.Helper()
	dir := sampleRepo(t)
	// Steps due a second apart, judged by no metric: the test moves the
	// rollout with push events.
	edit(t, dir, "apps/podinfo/canary.yaml", "interval: 10s", "interval: 1s")
	b, err := os.ReadFile(filepath.Join(dir, "apps/podinfo/canary.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "apps/podinfo/canary.yaml"), b[:bytes.Index(b, []byte("    metrics:"))], 0o644); err != nil {
		t.Fatal(err)
	}
	l := &listening{t: t, remote: pushRepo(t, dir, "apps"), secret: "whsec-0123456789"}
	secretFile := filepath.Join(t.TempDir(), "webhook-secret")
	if err := os.WriteFile(secretFile, []byte(l.secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.addr = ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], "run", "--repo", "file://"+l.remote, "--interval", "1h", "--listen", l.addr,
		"--webhook-secret-file", secretFile, "--prometheus", "http://127.0.0.1:1")
	cmd.Env = append(os.Environ(), "GITCANARY_TEST_MAIN=1")
	cmd.Stderr = writerFunc(func(p []byte) (int, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.logs.Write(p)
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	// Ready once the first pass fetched (and initialized the canary).
	l.eventually(10*time.Second, "readyz", func() bool {
		resp, err := http.Get("http://" + l.addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200 && strings.HasPrefix(l.subject(), "Initialization done!")
	})
	return l
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (l *listening) subject() string {
	out, _ := gitExec("", "--git-dir", l.remote, "log", "-1", "--format=%s", "main")
	return strings.TrimSpace(out)
}

func (l *listening) eventually(within time.Duration, what string, ok func() bool) {
	l.t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.t.Fatalf("%s: not within %s\n%s", what, within, l.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deliver posts a GitHub push event for ref, signed with secret.
func (l *listening) deliver(ref, secret string) int {
	body := fmt.Sprintf(`{"ref":%q,"after":"0123","repository":{"full_name":"acme/config"}}`, ref)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	req, _ := http.NewRequest("POST", "http://"+l.addr+"/hooks/github", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (l *listening) metrics() string {
	resp, err := http.Get("http://" + l.addr + "/metrics")
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (l *listening) passes() int {
	for _, line := range strings.Split(l.metrics(), "\n") {
		if v, ok := strings.CutPrefix(line, "gitcanary_pass_duration_seconds_count "); ok {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}

// TestPushWebhookStartsAPass: a signed push to the watched branch starts a
// pass within a second (the interval is an hour); a bad signature is
// refused and starts nothing; a burst of pushes makes one pass, not one per
// push; /metrics carries Flagger's series as the commits say.
func TestPushWebhookStartsAPass(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: the 2-second promise holds for a normal build, not under the race detector's slowdown")
	}
	t.Parallel()
	l := startListening(t)
	if !strings.Contains(l.metrics(), `flagger_canary_status{name="podinfo",namespace="test"} 1`) ||
		!strings.Contains(l.metrics(), `flagger_canary_total{namespace="test"} 1`) ||
		!strings.Contains(l.metrics(), `flagger_info{mesh_provider="istio",version=`) {
		t.Errorf("metrics after the initialization:\n%s", l.metrics())
	}

	// The UI is served next to them, over the loop's own clone.
	resp, err := http.Get("http://" + l.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `<a href="/canaries/test/podinfo">podinfo</a>`) {
		t.Errorf("GET /: HTTP %d\n%s", resp.StatusCode, page)
	}

	// CI bumps the image.
	clone := filepath.Join(t.TempDir(), "ci")
	git(t, "", "clone", "-q", l.remote, clone)
	edit(t, clone, "apps/podinfo/deployment.yaml", "podinfo:6.0.0", "podinfo:6.0.1")
	git(t, clone, "commit", "-qam", "bump podinfo to 6.0.1")
	git(t, clone, "push", "-q", "origin", "main")

	before := l.passes()
	if code := l.deliver("refs/heads/main", "wrong secret"); code != http.StatusUnauthorized {
		t.Errorf("bad signature: HTTP %d, want 401", code)
	}
	if code := l.deliver("refs/heads/other", l.secret); code != http.StatusOK {
		t.Errorf("push to another branch: HTTP %d, want 200 (ignored)", code)
	}
	time.Sleep(300 * time.Millisecond)
	if n := l.passes(); n != before {
		t.Fatalf("refused or ignored pushes started %d passes", n-before)
	}

	delivered := time.Now()
	for range 5 {
		if code := l.deliver("refs/heads/main", l.secret); code != http.StatusAccepted {
			t.Fatalf("signed push: HTTP %d, want 202", code)
		}
	}
	l.eventually(2*time.Second, "the new revision's commit", func() bool {
		return l.subject() == "New revision detected! Scaling up podinfo.test"
	})
	t.Logf("first commit %s after the push event", time.Since(delivered).Round(time.Millisecond))
	time.Sleep(500 * time.Millisecond)
	m := l.metrics()
	if n := l.passes() - before; n < 1 || n > 2 {
		t.Errorf("a burst of 5 pushes made %d passes, want 1 (2 when one arrived during the pass)", n)
	}
	for _, want := range []string{
		`flagger_canary_status{name="podinfo",namespace="test"} 0`,
		`flagger_canary_weight{namespace="test",workload="podinfo"} 0`,
		`flagger_canary_weight{namespace="test",workload="podinfo-primary"} 100`,
		`gitcanary_commits_total 2`,
		`gitcanary_git_duration_seconds_count{operation="push"} 2`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%s", want, m)
		}
	}

	// The next step, a second later: the weights follow the commit.
	time.Sleep(time.Second)
	l.deliver("refs/heads/main", l.secret)
	l.eventually(2*time.Second, "the first weight step", func() bool {
		return l.subject() == "Starting canary analysis for podinfo.test"
	})
	// The pass records the states once its push landed: a moment after the
	// commit is visible.
	for _, want := range []string{
		`flagger_canary_weight{namespace="test",workload="podinfo"} 10`,
		`flagger_canary_weight{namespace="test",workload="podinfo-primary"} 90`,
		`flagger_canary_duration_seconds_count{name="podinfo",namespace="test"} 1`,
	} {
		l.eventually(time.Second, "metrics with "+want, func() bool { return strings.Contains(l.metrics(), want) })
	}
}
