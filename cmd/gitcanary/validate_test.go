package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// validate of an untrusted pull request with --no-remote-bases refuses a
// kustomization naming a remote resource before fetching anything; without
// it, kustomize fetches the resource, as kustomize-controller would.
func TestValidateNoRemoteBases(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		_, _ = w.Write([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: remote-settings\n"))
	}))
	defer srv.Close()
	dir := sampleRepo(t)
	edit(t, dir, "apps/podinfo/kustomization.yaml", "  - configmap.yaml\n", "  - configmap.yaml\n  - "+srv.URL+"/settings.yaml\n")

	out, err := gitcanary(t, "validate", "--no-remote-bases", dir)
	want := "apps/podinfo/kustomization.yaml: resources[2]: " + srv.URL + "/settings.yaml: remote resource refused (--no-remote-bases)"
	if err == nil || !strings.Contains(out, want) || !strings.Contains(err.Error(), "1 kustomizations name remote resources") {
		t.Fatalf("validate --no-remote-bases: %v\n%s\nwant %q", err, out, want)
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("validate --no-remote-bases fetched the remote resource %d times", n)
	}

	out, err = gitcanary(t, "validate", dir)
	if err != nil || !strings.Contains(out, "1 canary valid") {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	if requests.Load() == 0 {
		t.Fatal("validate without --no-remote-bases did not fetch the remote resource")
	}
}

// A file name holding newlines cannot forge a line of validate's output,
// such as a GitHub Actions workflow command: errors naming it (gitcanary's
// and kustomize's) are printed on one line each.
func TestValidateOutputLinesCannotBeForged(t *testing.T) {
	t.Parallel()
	dir := sampleRepo(t)
	const forged = "x\n::error file=README.md::forged\ny.yaml"
	edit(t, dir, "apps/podinfo/canary.yaml", "stepWeight: 10", "stepWeight: -1")
	if err := os.Rename(filepath.Join(dir, "apps/podinfo/canary.yaml"), filepath.Join(dir, "apps/podinfo", forged)); err != nil {
		t.Fatal(err)
	}
	edit(t, dir, "apps/podinfo/kustomization.yaml", "  - configmap.yaml\n", "  - configmap.yaml\n  - \"missing\\n::error::forged\"\n")
	out, err := gitcanary(t, "validate", dir)
	if err == nil {
		t.Fatalf("validate passed:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "::") {
			t.Errorf("a line of the output starts with a workflow command: %q\n%s", line, out)
		}
	}
	if !strings.Contains(out, `"apps/podinfo/x\n::error file=README.md::forged\ny.yaml": document 1 (Canary test/podinfo): spec.analysis.stepWeight`) {
		t.Errorf("the file is not named, quoted:\n%s", out)
	}
}
