package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/gitcanary/gitcanary/fixtures/meshmetrics"
	"github.com/gitcanary/gitcanary/fixtures/promsim"
	"github.com/gitcanary/gitcanary/gitops/forge/githubtest"
)

// TestPullRequestApprovedPromotion runs `gitcanary run --once` against a
// config repo whose canary asks for a pull-request approval before
// promotion, GitHub's stand-in, and healthy Istio telemetry in the embedded
// PromQL engine; a human merges the pull request. It logs the history and
// `gitcanary history` (the README shows them).
func TestPullRequestApprovedPromotion(t *testing.T) {
	if testing.Short() {
		t.Skip("walkthrough with real intervals; run without -short")
	}
	// Healthy telemetry for primary and canary.
	mesh := meshmetrics.NewRecorder()
	prom, err := promsim.New(promsim.Options{ScrapeInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	prom.AddTarget("mesh", mesh.Gatherer())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go prom.Start(ctx)
	go func() {
		for ctx.Err() == nil {
			mesh.Observe("test", "podinfo", 200, 20*time.Millisecond)
			mesh.Observe("test", "podinfo-primary", 200, 20*time.Millisecond)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	promSrv := httptest.NewServer(prom.Handler())
	defer promSrv.Close()

	dir := sampleRepo(t)
	edit(t, dir, "apps/podinfo/canary.yaml", "interval: 10s", "interval: 1s")
	edit(t, dir, "apps/podinfo/canary.yaml", "stepWeight: 10", "stepWeight: 25")
	edit(t, dir, "apps/podinfo/canary.yaml", "  analysis:", "  gitops:\n    approval:\n      promotion: pullRequest\n  analysis:")
	remote := pushRepo(t, dir, "podinfo app")

	gh := githubtest.NewServer(t, "ghp-walkthrough")
	repo := gh.CreateRepo("acme", "config")
	gitOut := func(args ...string) string {
		return strings.TrimSpace(git(t, "", append([]string{"--git-dir", remote}, args...)...))
	}
	repo.Branch = func(name string) (string, bool) {
		out, err := runGit(remote, "rev-parse", "--verify", "-q", "refs/heads/"+name)
		return out, err == nil
	}
	repo.OnMerge = func(pr *github.PullRequest, _ string) (string, error) {
		head := pr.GetHead().GetRef()
		tree, err := runGit(remote, "merge-tree", "--write-tree", "main", head)
		if err != nil {
			return "", fmt.Errorf("merge conflict: %s", tree)
		}
		old, _ := runGit(remote, "rev-parse", "main")
		sha, err := runGit(remote, "commit-tree", tree, "-p", "main", "-p", head, "-m", fmt.Sprintf("Merge pull request #%d from acme/%s", pr.GetNumber(), head))
		if err != nil {
			return "", err
		}
		_, err = runGit(remote, "update-ref", "refs/heads/main", sha, old)
		return sha, err
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("ghp-walkthrough"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func() {
		t.Helper()
		out, err := gitcanary(t, "run", "--repo", remote, "--once", "--prometheus", promSrv.URL,
			"--github-api-url", gh.URL, "--github-token-file", tokenFile, "--github-repo", "acme/config")
		if err != nil {
			t.Fatalf("run --once: %v\n%s", err, out)
		}
	}
	until := func(prefix string) {
		t.Helper()
		for i := 0; i < 30; i++ {
			run()
			if strings.HasPrefix(gitOut("log", "-1", "--format=%s", "main"), prefix) {
				return
			}
			time.Sleep(time.Second)
		}
		t.Fatalf("no %q:\n%s", prefix, gitOut("log", "--oneline", "main"))
	}
	run()
	bump := func(tag string) {
		git(t, dir, "pull", "-q", remote, "main")
		edit(t, dir, "apps/podinfo/deployment.yaml", "podinfo:6.0.", "podinfo:"+tag+" #")
		git(t, dir, "commit", "-qam", "bump podinfo to "+tag)
		git(t, dir, "push", "-q", remote, "main")
	}
	bump("6.0.1")
	until("Halt podinfo.test advancement waiting for promotion approval")
	prs := repo.PullRequests()
	if len(prs) != 1 {
		t.Fatalf("%d pull requests", len(prs))
	}
	pr := prs[0]
	t.Logf("pull request #%d %q\n%s", pr.GetNumber(), pr.GetTitle(), pr.GetBody())
	run() // waiting: analysis goes on, no duplicate
	if len(repo.PullRequests()) != 1 {
		t.Fatal("duplicate pull request")
	}
	if _, err := repo.MergeExternally(pr.GetNumber()); err != nil {
		t.Fatal(err)
	}
	until("Promotion completed! Scaling down podinfo.test")
	graph := gitOut("log", "--oneline", "--graph", "main")
	if !strings.Contains(graph, "Merge pull request #1 from acme/gitcanary/test/podinfo/promotion-") {
		t.Errorf("no merge commit:\n%s", graph)
	}
	clone := filepath.Join(t.TempDir(), "clone")
	git(t, "", "clone", "-q", remote, clone)
	hist, err := gitcanary(t, "history", "podinfo", "--dir", clone)
	if err != nil || !strings.Contains(hist, "Succeeded") {
		t.Errorf("history: %v\n%s", err, hist)
	}
	desc, err := gitcanary(t, "describe", "canary", "podinfo", "--dir", clone)
	if err != nil || !strings.Contains(desc, "Promoting          50       Copying podinfo.test template spec to podinfo-primary.test") {
		t.Errorf("describe lacks the merged proposal commit: %v\n%s", err, desc)
	}
	t.Logf("git log --oneline --graph:\n%s\n\ngitcanary history podinfo:\n%s", graph, hist)
}

// runGit runs git in dir and returns its trimmed output.
func runGit(dir string, args ...string) (string, error) {
	out, err := gitExec(dir, args...)
	return strings.TrimSpace(out), err
}
