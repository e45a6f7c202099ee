package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain runs main itself when a test starts this test binary as the
// gitcanary command (GITCANARY_TEST_MAIN=1), so tests see exit codes and
// stderr as users do.
func TestMain(m *testing.M) {
	if os.Getenv("GITCANARY_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// gitcanaryProcess runs gitcanary as a process and returns its stderr and
// exit code.
func gitcanaryProcess(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GITCANARY_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stderr.String(), 0
	case errors.As(err, &exit):
		return stderr.String(), exit.ExitCode()
	}
	t.Fatal(err)
	return "", 0
}

func TestRunLogsItsErrorOnceAsJSON(t *testing.T) {
	t.Parallel()
	dir := sampleRepo(t)
	edit(t, dir, "apps/podinfo/canary.yaml", "stepWeight: 10", "stepWeight: -5")
	remote := pushRepo(t, dir, "apps")

	for _, tc := range []struct {
		name string
		args []string
		err  string // the error, logged exactly once
	}{
		{"invalid canary", []string{"run", "--once", "--repo", remote},
			"some canaries could not be reconciled: 1 errors"},
		{"failed pass", []string{"run", "--once", "--repo", remote, "--branch", "nope"},
			"fetch nope from " + remote + ": branch not found"},
		{"bad options", []string{"run", "--once", "--repo", remote, "--shard", "3/2"},
			"--shard"},
		{"no repository", []string{"run", "--once", "--repo", filepath.Join(t.TempDir(), "missing.git")},
			"missing.git"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stderr, code := gitcanaryProcess(t, tc.args...)
			if code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			mentions := 0
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				var entry struct {
					Msg   string `json:"msg"`
					Error string `json:"error"`
				}
				if err := json.Unmarshal([]byte(line), &entry); err != nil {
					t.Errorf("not a JSON line (breaks `2>&1 | jq .msg`): %q", line)
				}
				if strings.Contains(entry.Error, tc.err) {
					mentions++
				}
			}
			if mentions != 1 {
				t.Errorf("the error %q is logged %d times, want once:\n%s", tc.err, mentions, stderr)
			}
		})
	}
}

// TestGitHubTokenOfAnotherRepository: CI runners set GITHUB_TOKEN for their
// own repository. With a config repository that is not on GitHub and no
// canary using a GitHub gate, run serves the canaries (it used to exit 1).
func TestGitHubTokenOfAnotherRepository(t *testing.T) {
	t.Parallel()
	remote := pushRepo(t, sampleRepo(t), "apps")
	cmd := exec.Command(os.Args[0], "run", "--repo", "file://"+remote, "--once")
	cmd.Env = append(os.Environ(), "GITCANARY_TEST_MAIN=1", "GITHUB_TOKEN=ghs_runner0123456789")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run --once with GITHUB_TOKEN set: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Initialization done! podinfo.test") || !strings.Contains(string(out), "running without GitHub gates") {
		t.Errorf("output:\n%s", out)
	}
	if strings.Contains(string(out), "ghs_runner0123456789") {
		t.Errorf("the token was logged:\n%s", out)
	}
}
