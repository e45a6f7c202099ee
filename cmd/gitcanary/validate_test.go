package main

import (
	"net/http"
	"net/http/httptest"
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
