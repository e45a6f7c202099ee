package main

import (
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/fixtures/meshmetrics"
	"github.com/gitcanary/gitcanary/fixtures/promtest"
)

// TestEndToEndWithPrometheus drives `gitcanary run --once` against a real
// Prometheus server that scrapes Istio telemetry of the canary workload: a
// healthy version is promoted, a version answering 500s is rolled back and
// its image reverted in Git.
func TestEndToEndWithPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test with a real Prometheus server; run without -short")
	}
	mesh := meshmetrics.NewRecorder()
	srv := httptest.NewServer(mesh.Handler())
	defer srv.Close()
	prom := promtest.Start(t, strings.TrimPrefix(srv.URL, "http://"))

	// Traffic: the primary is healthy; the canary answers 500s while
	// failing is set.
	var failing atomic.Bool
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			mesh.Observe("test", "podinfo-primary", 200, 20*time.Millisecond)
			code := 200
			if failing.Load() && i%2 == 0 {
				code = 500
			}
			mesh.Observe("test", "podinfo", code, 30*time.Millisecond)
		}
	}()

	dir := sampleRepo(t)
	edit(t, dir, "apps/podinfo/canary.yaml", "interval: 10s", "interval: 1s")
	for i := 0; i < 2; i++ {
		edit(t, dir, "apps/podinfo/canary.yaml", "interval: 30s", "interval: 5s")
	}
	edit(t, dir, "apps/podinfo/canary.yaml", "stepWeight: 10", "stepWeight: 25")
	remote := pushRepo(t, dir, "podinfo app")

	run := func() {
		t.Helper()
		if out, err := gitcanary(t, "run", "--repo", remote, "--once", "--prometheus", prom.URL); err != nil {
			t.Fatalf("run --once: %v\n%s", err, out)
		}
	}
	last := func() string { return lastSubject(t, remote) }
	// runUntil runs passes, one a second, until the last commit's subject
	// starts with want.
	runUntil := func(want string) {
		t.Helper()
		for i := 0; i < 40; i++ {
			run()
			if strings.HasPrefix(last(), want) {
				return
			}
			time.Sleep(time.Second)
		}
		t.Fatalf("no %q after 40 passes; history:\n%s", want, git(t, "", "--git-dir", remote, "log", "--format=%s", "main"))
	}
	bump := func(tag string) {
		t.Helper()
		bumpPodinfo(t, dir, remote, tag)
	}

	run()
	if got := last(); got != "Initialization done! podinfo.test" {
		t.Fatalf("first pass: %q", got)
	}
	// Wait until Prometheus has a success rate for the canary workload.
	prom.WaitForValue(t, `sum(rate(istio_requests_total{destination_workload="podinfo"}[5s]))`, 30*time.Second, func(v float64) bool { return v > 0 })

	bump("6.0.1")
	runUntil("Promotion completed! Scaling down podinfo.test")
	history := git(t, "", "--git-dir", remote, "log", "--format=%s%n%b", "main")
	for _, want := range []string{"Advance podinfo.test canary weight 50", "request-success-rate 100.00% >= 99%", "Copying podinfo.test template spec to podinfo-primary.test"} {
		if !strings.Contains(history, want) {
			t.Errorf("promotion history lacks %q:\n%s", want, history)
		}
	}
	if strings.Contains(history, "Halt") {
		t.Errorf("healthy version halted:\n%s", history)
	}

	failing.Store(true)
	prom.WaitForValue(t, `sum(rate(istio_requests_total{destination_workload="podinfo",response_code!~"5.*"}[5s])) / sum(rate(istio_requests_total{destination_workload="podinfo"}[5s])) * 100`,
		30*time.Second, func(v float64) bool { return v < 60 })
	bump("6.0.2")
	runUntil("Rolling back podinfo.test failed checks threshold reached 2")
	history = git(t, "", "--git-dir", remote, "log", "--format=%s", "main")
	if !strings.Contains(history, "Halt podinfo.test advancement success rate ") {
		t.Errorf("no halt on 500s:\n%s", history)
	}
	dep := git(t, "", "--git-dir", remote, "show", "main:apps/podinfo/deployment.yaml")
	if !strings.Contains(dep, "image: ghcr.io/stefanprodan/podinfo:6.0.1 #") {
		t.Errorf("target not reverted to the promoted image:\n%s", dep)
	}
	if st := git(t, "", "--git-dir", remote, "show", "main:apps/podinfo/gitcanary/podinfo/status.yaml"); !strings.Contains(st, "phase: Failed") {
		t.Errorf("status:\n%s", st)
	}
	t.Logf("rollout history:\n%s", git(t, "", "--git-dir", remote, "log", "--oneline", "main"))
	t.Logf("commits:\n%s", git(t, "", "--git-dir", remote, "log", "--format=--- %h%n%B", "main"))
}
