package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestUICommand: `gitcanary ui --dir CLONE` serves the clone's origin on
// the --listen address it prints, until it is interrupted; the overview
// lists the canary and a rollout page plots it.
func TestUICommand(t *testing.T) {
	clone := recordedRollout(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, w := io.Pipe()
	cmd := newRootCommand()
	cmd.SetArgs([]string{"ui", "--dir", clone, "--listen", "127.0.0.1:0", "--refresh", "200ms"})
	cmd.SetOut(w)
	cmd.SetErr(w)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx); w.Close() }()

	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("no address printed: %v (%q)", err, line)
	}
	go io.Copy(io.Discard, r)
	m := regexp.MustCompile(`^gitcanary ui: \S+/remote\.git \(branch main\) at (http://127\.0\.0\.1:\d+/)\n$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("printed %q", line)
	}
	page := get(t, m[1])
	if !strings.Contains(page, `<tr data-canary="test/podinfo">`) || !strings.Contains(page, "phase-failed") {
		t.Errorf("the overview does not list the failed canary:\n%s", page)
	}
	rollout := regexp.MustCompile(`<a href="(/canaries/test/podinfo/rollouts/[0-9a-f]{12})"><code>`).FindAllStringSubmatch(get(t, m[1]+"canaries/test/podinfo"), -1)
	if len(rollout) != 2 {
		t.Fatalf("%d rollouts linked, want 2", len(rollout))
	}
	if page := get(t, strings.TrimSuffix(m[1], "/")+rollout[0][1]); !strings.Contains(page, `<figure class="plot" data-plot="request-success-rate">`) {
		t.Errorf("no success-rate plot on the rollout page")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ui ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ui did not stop on interrupt")
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}
