package reconciler

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/google/go-github/v60/github"

	"github.com/gitcanary/gitcanary/gitops/forge"
	"github.com/gitcanary/gitcanary/gitops/forge/githubtest"
)

// ghWorld is a world whose Git host is the GitHub stand-in: pull requests
// merge into the real bare repository.
type ghWorld struct {
	*world
	gh *githubtest.Repo
	// restart replaces the reconciler with a new one, as a new process.
	restart func()
}

const approvalBlock = `  gitops:
    approval:
%s
  analysis:`

func newGitHubWorld(t *testing.T, approval string) *ghWorld {
	t.Helper()
	w := newWorld(t, fixture)
	w.ciCommit("approvals", func(dir string) {
		replaceIn(t, dir, app+"canary.yaml", "  analysis:", fmt.Sprintf(approvalBlock, approval))
	})
	srv := githubtest.NewServer(t, "s3cr3t-token")
	srv.Now = func() time.Time { return w.now }
	gh := srv.CreateRepo("acme", "config")
	gh.Branch = func(name string) (string, bool) {
		out, err := runGit(w.remote, "rev-parse", "--verify", "-q", "refs/heads/"+name)
		return out, err == nil
	}
	gh.OnMerge = func(pr *github.PullRequest, method string) (string, error) {
		head := pr.GetHead().GetRef()
		main, _ := runGit(w.remote, "rev-parse", "refs/heads/main")
		tree, err := runGit(w.remote, "merge-tree", "--write-tree", "main", head)
		if err != nil {
			return "", fmt.Errorf("merge conflict: %s", tree)
		}
		sha, err := runGit(w.remote, "commit-tree", tree, "-p", "main", "-p", head, "-m", fmt.Sprintf("Merge pull request #%d from acme/%s", pr.GetNumber(), head))
		if err != nil {
			return "", err
		}
		if out, err := runGit(w.remote, "update-ref", "refs/heads/main", sha, main); err != nil {
			return "", fmt.Errorf("%v: %s", err, out)
		}
		return sha, nil
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("s3cr3t-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fc, err := forge.New(forge.Options{APIURL: srv.URL, Repo: "acme/config", TokenFile: tokenFile, Backoff: time.Millisecond}, w.remote, nil)
	if err != nil {
		t.Fatal(err)
	}
	restart := func() {
		log := funcr.New(func(prefix, args string) { w.logs.WriteString(args + "\n") }, funcr.Options{Verbosity: 1})
		w.rec, err = New(w.rec.repo, w.rec.opts, log, w.measureFunc, func() time.Time { return w.now }, WithForge(fc))
		if err != nil {
			t.Fatal(err)
		}
	}
	restart()
	w.pass(0) // initialization
	return &ghWorld{world: w, gh: gh, restart: restart}
}

// runGit runs git in a bare repository and returns its trimmed output.
func runGit(dir string, args ...string) (string, error) {
	cmd := gitCmd(dir, args...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// toPromotionGate bumps the image and runs passes with healthy metrics until
// the canary waits at the promotion gate.
func (g *ghWorld) toPromotionGate() {
	g.t.Helper()
	bumpImage(g.world, "6.0.1")
	g.setChecks(pass)
	for i := 0; i < 7; i++ {
		g.pass(tick)
	}
	if last := g.last(); !strings.HasPrefix(last, "gitcanary: Halt podinfo.test advancement waiting for promotion approval pull request") {
		g.t.Fatalf("not at the promotion gate: %s\n%s", last, g.logs)
	}
}

func (g *ghWorld) prs() []*github.PullRequest { return g.gh.PullRequests() }

func TestPromotionApprovedByMerge(t *testing.T) {
	g := newGitHubWorld(t, "      promotion: pullRequest")
	g.toPromotionGate()
	prs := g.prs()
	if len(prs) != 1 {
		t.Fatalf("%d pull requests, want 1", len(prs))
	}
	pr := prs[0]
	if pr.GetTitle() != "Promote podinfo.test: ghcr.io/stefanprodan/podinfo:6.0.1" || pr.GetBase().GetRef() != "main" ||
		!strings.HasPrefix(pr.GetHead().GetRef(), "gitcanary/test/podinfo/promotion-") {
		t.Errorf("pull request: %q %s <- %s", pr.GetTitle(), pr.GetBase().GetRef(), pr.GetHead().GetRef())
	}
	for _, want := range []string{"| request-success-rate", "100.00%", "`spec.gitops.approval.promotion: pullRequest`"} {
		if !strings.Contains(pr.GetBody(), want) {
			t.Errorf("body lacks %q:\n%s", want, pr.GetBody())
		}
	}
	// The proposal is the promotion commit, on top of the branch head.
	branch := pr.GetHead().GetRef()
	if got := gitRun(t, g.remote, "log", "-1", "--format=%s", branch); got != "Copying podinfo.test template spec to podinfo-primary.test" {
		t.Errorf("proposed commit: %s", got)
	}
	if got := gitRun(t, g.remote, "rev-parse", branch+"~1"); got != gitRun(t, g.remote, "rev-parse", "main") {
		t.Errorf("proposal not based on main")
	}
	// While it waits, the analysis goes on and no second pull request opens,
	// across restarts too; main moving refreshes the proposal.
	before := g.measure
	g.pass(tick)
	g.restart()
	g.ciCommit("unrelated", func(dir string) {
		replaceIn(t, dir, "clusters/demo/apps.yaml", "interval: 1m", "interval: 3m")
	})
	g.pass(tick)
	if g.measure == before {
		t.Errorf("metrics not measured while waiting for approval")
	}
	if got := gitRun(t, g.remote, "rev-parse", branch+"~1"); got != gitRun(t, g.remote, "rev-parse", "main") {
		t.Errorf("proposal not refreshed after main moved")
	}
	if len(g.prs()) != 1 || g.last() != "ci: unrelated" {
		t.Fatalf("waiting made commits or pull requests: %s, %d PRs", g.last(), len(g.prs()))
	}
	if _, err := g.gh.MergeExternally(pr.GetNumber()); err != nil {
		t.Fatal(err)
	}
	g.pass(tick)
	g.pass(tick)
	if got := g.last(); got != "gitcanary: Promotion completed! Scaling down podinfo.test" {
		t.Fatalf("after the merge: %s\n%s", got, gitRun(t, g.remote, "log", "--oneline", "-8", "main"))
	}
	if p := g.primaryRuns("main"); p != newImage {
		t.Errorf("primary not promoted: runs %s", p)
	}
	if n := len(g.prs()); n != 1 {
		t.Errorf("%d pull requests, want 1", n)
	}
}

func TestPromotionRejected(t *testing.T) {
	g := newGitHubWorld(t, "      promotion: pullRequest")
	g.toPromotionGate()
	if err := g.gh.Close(1); err != nil {
		t.Fatal(err)
	}
	g.pass(tick)
	msg := gitRun(t, g.remote, "log", "-1", "--format=%s%n%b", "main")
	if !strings.HasPrefix(msg, "Rolling back podinfo.test promotion rejected in #1\nCanary failed! Scaling down podinfo.test") {
		t.Fatalf("rejection:\n%s", msg)
	}
	if dep := g.show("main", app+"deployment.yaml"); !strings.Contains(dep, oldImage) {
		t.Errorf("target not reverted")
	}
}

func TestFailedCheckClosesThePullRequest(t *testing.T) {
	g := newGitHubWorld(t, "      promotion: pullRequest")
	g.toPromotionGate()
	g.setChecks(fail)
	g.pass(tick)
	if got := g.last(); got != "gitcanary: Halt podinfo.test advancement success rate 50.00% < 99%" {
		t.Fatalf("halt: %s", got)
	}
	pr := g.prs()[0]
	if pr.GetState() != "closed" || pr.GetMerged() {
		t.Fatalf("pull request not closed: %s", pr.GetState())
	}
	if cs := g.gh.Comments(1); len(cs) != 1 || !strings.Contains(cs[0], "Closed by gitcanary: Halt podinfo.test advancement success rate 50.00% < 99%") {
		t.Errorf("comments: %q", cs)
	}
	// Healthy again: a new pull request; closed by gitcanary is no rejection.
	g.setChecks(pass)
	g.pass(tick)
	if n := len(g.prs()); n != 2 || !strings.HasPrefix(g.last(), "gitcanary: Halt podinfo.test advancement waiting for promotion approval") {
		t.Errorf("after recovery: %s, %d pull requests", g.last(), n)
	}
}

func TestMergeOnApproval(t *testing.T) {
	g := newGitHubWorld(t, "      promotion: pullRequest\n      mergeOnApproval: true")
	g.toPromotionGate()
	g.pass(tick)
	if pr := g.prs()[0]; pr.GetMerged() {
		t.Fatal("merged without approval")
	}
	if err := g.gh.Approve(1, "alice"); err != nil {
		t.Fatal(err)
	}
	g.pass(tick)
	if pr, _ := g.gh.PullRequest(1); !pr.GetMerged() {
		t.Fatal("approved pull request not merged")
	}
	if got := gitRun(t, g.remote, "log", "-1", "--format=%s", "main"); got != "Merge pull request #1 from acme/"+g.prs()[0].GetHead().GetRef() {
		t.Errorf("main: %s", got)
	}
	g.pass(tick)
	g.pass(tick)
	if got := g.last(); got != "gitcanary: Promotion completed! Scaling down podinfo.test" {
		t.Errorf("after merge: %s", got)
	}
}

func TestRolloutGate(t *testing.T) {
	g := newGitHubWorld(t, "      rollout: pullRequest")
	bumpImage(g.world, "6.0.1")
	g.setChecks(pass)
	g.pass(tick)
	if last := g.last(); !strings.HasPrefix(last, "gitcanary: Halt podinfo.test advancement waiting for approval pull request") {
		t.Fatalf("not at the rollout gate: %s", last)
	}
	if ls := gitRun(t, g.remote, "ls-tree", "--name-only", "main", gen); !strings.Contains(ls, "scale-down.yaml") {
		t.Errorf("canary scaled up before approval")
	}
	pr := g.prs()[0]
	if pr.GetTitle() != "Start canary podinfo.test: ghcr.io/stefanprodan/podinfo:6.0.1" {
		t.Errorf("title %q", pr.GetTitle())
	}
	g.pass(tick)
	if len(g.prs()) != 1 {
		t.Fatal("duplicate pull request")
	}
	if _, err := g.gh.MergeExternally(1); err != nil {
		t.Fatal(err)
	}
	g.pass(tick)
	if got := g.last(); got != "gitcanary: Starting canary analysis for podinfo.test" {
		t.Fatalf("after approval: %s", got)
	}
}
