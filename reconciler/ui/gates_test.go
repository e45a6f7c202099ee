package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/gitcanary/gitcanary/gitops/forge"
	"github.com/gitcanary/gitcanary/gitops/forge/githubtest"
	"github.com/gitcanary/gitcanary/reconciler"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// TestGates: a rollout held by a sync gate (a PromQL query) at every step
// and by a promotion pull request that Alice merged shows both on its
// page, the merge linked to the pull request on GitHub and marked on the
// weight plot with who merged it.
func TestGates(t *testing.T) {
	srv := githubtest.NewServer(t, "gh-token")
	gh := srv.CreateRepo("acme", "config")
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("gh-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	var w *world
	fc, err := forge.New(forge.Options{APIURL: srv.URL, Repo: "acme/config", TokenFile: tokenFile, Backoff: time.Millisecond}, "https://github.com/acme/config.git", nil)
	if err != nil {
		t.Fatal(err)
	}
	w = newWorld(t, func(canary string) string {
		return strings.Replace(canary, "  analysis:", `  gitops:
    syncGate:
      type: prometheus
      query: kube_deployment_status_replicas_available{deployment="podinfo"} >= 1
    approval:
      promotion: pullRequest
  analysis:`, 1)
	}, reconciler.WithForge(fc))
	gh.Branch = func(name string) (string, bool) {
		out, err := gitOut(w.bare, "rev-parse", "--verify", "-q", "refs/heads/"+name)
		return out, err == nil
	}
	// Alice merges the pull request in her clone, as GitHub's button does:
	// a merge commit she authors, on main.
	gh.OnMerge = func(pr *github.PullRequest, _ string) (string, error) {
		for _, args := range [][]string{
			{"pull", "-q", "--ff-only"},
			{"fetch", "-q", "origin", pr.GetHead().GetRef()},
			{"-c", "user.name=Alice Approver", "-c", "user.email=alice@example.com", "merge", "-q", "--no-ff", "-m",
				fmt.Sprintf("Merge pull request #%d from acme/%s", pr.GetNumber(), pr.GetHead().GetRef()), "FETCH_HEAD"},
			{"-c", "user.name=Alice Approver", "-c", "user.email=alice@example.com", "commit", "-q", "--amend", "--no-edit", "--date", w.now.Format(time.RFC3339)},
			{"push", "-q", "origin", "main"},
		} {
			if out, err := gitOut(w.ci, args...); err != nil {
				return "", fmt.Errorf("git %v: %v: %s", args, err, out)
			}
		}
		return gitOut(w.ci, "rev-parse", "HEAD")
	}

	w.bump("6.0.1")
	w.passUntil(api.PhaseWaitingPromotion)
	w.pass() // opens the pull request
	if len(gh.PullRequests()) != 1 {
		t.Fatalf("%d pull requests, want 1", len(gh.PullRequests()))
	}
	merge, err := gh.MergeExternally(1)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.passUntil(api.PhaseSucceeded); got != api.PhaseSucceeded {
		t.Fatal(got)
	}

	opts := DefaultOptions()
	opts.ForgeURL = "https://github.com/acme/config"
	u := w.ui(opts)
	first := RolloutCommits(t, w.bare, "Bump podinfo to 6.0.1")[0].SHA
	_, page := u.get(t, "/canaries/test/podinfo/rollouts/"+first[:12])
	approval := `<li data-kind="approval"><span class="kind">approval</span>`
	if n := strings.Count(page, approval); n != 1 {
		t.Fatalf("%d approval gates on the page, want 1:\n%s", n, page)
	}
	item := page[strings.Index(page, approval):]
	item = item[:strings.Index(item, "</li>")]
	for _, want := range []string{`href="https://github.com/acme/config/pull/1"`, "#1 merged by Alice Approver: Copying podinfo.test template spec to podinfo-primary.test", `<span class="who">Alice Approver</span>`} {
		if !strings.Contains(item, want) {
			t.Errorf("approval gate lacks %q:\n%s", want, item)
		}
	}
	if n := strings.Count(page, `<li data-kind="sync gate">`); n < 5 {
		t.Errorf("%d sync gate waits on the page, want one per measured step (5 or more)", n)
	}
	if !strings.Contains(page, "query true, 0s after the last commit") {
		t.Errorf("the sync gate's report is not shown")
	}
	if !strings.Contains(page, `href="https://github.com/acme/config/commit/`+first+`"`) {
		t.Errorf("commits are not linked to GitHub")
	}
	if Git(t, w.bare, "log", "-1", "--format=%an", merge) != "Alice Approver" {
		t.Fatalf("the merge commit is not Alice's")
	}
	_, svg := u.get(t, "/canaries/test/podinfo/rollouts/"+first[:12]+"/weight.svg")
	for _, want := range []string{">#1 merged by Alice Approver</text>", ">approval merged</text>", ">sync gate</text>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the weight plot lacks %q", want)
		}
	}
}
