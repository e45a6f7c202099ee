package forge_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/gitcanary/gitcanary/gitops/forge"
)

func TestMergeOnApproval(t *testing.T) {
	t.Parallel()
	f := setup(t)
	bare := newBareRepo(t)
	f.repo.OnMerge = bare.merge
	f.repo.SetBranch(head, bare.rev("refs/heads/"+head))
	ctx := context.Background()

	pr, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote", "body")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.repo.Approve(pr.Number, "alice"); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.gh.GetPullRequest(ctx, pr.Number); !got.Approved {
		t.Fatal("not approved")
	}
	sha, err := f.gh.Merge(ctx, pr.Number, forge.MergeMethodMerge)
	if err != nil {
		t.Fatal(err)
	}
	if main := bare.rev("refs/heads/main"); sha != main {
		t.Fatalf("Merge returned %s, main is at %s", sha, main)
	}
	if parents := bare.parents(sha); len(parents) != 2 || parents[1] != pr.HeadSHA {
		t.Errorf("merge commit parents %v, want [old main, %s]", parents, pr.HeadSHA)
	}
	got, err := f.gh.GetPullRequest(ctx, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Merged || got.Open() || got.MergeCommitSHA != sha {
		t.Errorf("after merge %+v", got)
	}
	// Merging again (a retry, a restart) returns the same commit.
	again, err := f.gh.Merge(ctx, pr.Number, "")
	if err != nil || again != sha {
		t.Errorf("second Merge = %s, %v; want %s", again, err, sha)
	}
}

func TestMergeExternally(t *testing.T) {
	t.Parallel()
	f := setup(t)
	bare := newBareRepo(t)
	f.repo.OnMerge = bare.merge
	f.repo.SetBranch(head, bare.rev("refs/heads/"+head))
	ctx := context.Background()
	pr, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote", "body")
	if err != nil {
		t.Fatal(err)
	}
	sha, err := f.repo.MergeExternally(pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.gh.GetPullRequest(ctx, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Merged || got.State != forge.StateClosed || got.MergeCommitSHA != sha || sha != bare.rev("refs/heads/main") {
		t.Errorf("PR %+v, merge %s, main %s", got, sha, bare.rev("refs/heads/main"))
	}
}

func TestMergeRefused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	f.repo.OnMerge = func(pr *github.PullRequest, method string) (string, error) {
		return "", errors.New("merge conflict in status.yaml")
	}
	pr, err := f.gh.EnsurePullRequest(ctx, head, "main", "Promote", "body")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.gh.Merge(ctx, pr.Number, forge.MergeMethodSquash)
	if !errors.Is(err, forge.ErrNotMergeable) || !strings.Contains(err.Error(), "merge conflict in status.yaml") {
		t.Fatalf("Merge with conflict = %v, want ErrNotMergeable with GitHub's message", err)
	}

	if err := f.repo.Close(pr.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := f.gh.Merge(ctx, pr.Number, ""); !errors.Is(err, forge.ErrNotMergeable) {
		t.Fatalf("Merge of closed PR = %v, want ErrNotMergeable", err)
	}
	if _, err := f.gh.Merge(ctx, pr.Number, "octopus"); err == nil || !strings.Contains(err.Error(), "octopus") {
		t.Fatalf("Merge with bad method = %v", err)
	}
}

// bareRepo is a bare git repository standing in for the one on GitHub, with
// main and the head branch one commit apart.
type bareRepo struct {
	t   *testing.T
	dir string
}

func newBareRepo(t *testing.T) *bareRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	root := t.TempDir()
	b := &bareRepo{t: t, dir: filepath.Join(root, "config.git")}
	work := filepath.Join(root, "work")
	git(t, root, "init", "--bare", "-b", "main", b.dir)
	git(t, root, "init", "-b", "main", work)
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(work, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("status.yaml", "phase: Progressing\n")
	git(t, work, "add", ".")
	git(t, work, "commit", "-m", "Initialization done! podinfo.test")
	git(t, work, "checkout", "-b", head)
	write("status.yaml", "phase: Promoting\n")
	git(t, work, "commit", "-am", "Copying podinfo.test template spec to podinfo-primary.test")
	git(t, work, "checkout", "main")
	write("other.yaml", "unrelated: change\n")
	git(t, work, "add", ".")
	git(t, work, "commit", "-m", "Unrelated change on main")
	git(t, work, "push", b.dir, "main", head)
	return b
}

// merge merges the pull request's head into its base inside the bare
// repository, as GitHub's merge button does.
func (b *bareRepo) merge(pr *github.PullRequest, method string) (string, error) {
	// Runs in the server's goroutine: report errors, never t.Fatal.
	base, err := gitOut(b.dir, "rev-parse", "refs/heads/"+pr.GetBase().GetRef())
	if err != nil {
		return "", err
	}
	headSHA := pr.GetHead().GetSHA()
	tree, err := gitOut(b.dir, "merge-tree", "--write-tree", base, headSHA)
	if err != nil {
		return "", fmt.Errorf("merge conflict: %w", err)
	}
	msg := fmt.Sprintf("Merge pull request #%d from %s", pr.GetNumber(), pr.GetHead().GetLabel())
	commit, err := gitOut(b.dir, "commit-tree", tree, "-p", base, "-p", headSHA, "-m", msg)
	if err != nil {
		return "", err
	}
	if _, err := gitOut(b.dir, "update-ref", "refs/heads/"+pr.GetBase().GetRef(), commit, base); err != nil {
		return "", err
	}
	return commit, nil
}

func (b *bareRepo) rev(ref string) string {
	b.t.Helper()
	return git(b.t, b.dir, "rev-parse", ref)
}

func (b *bareRepo) parents(sha string) []string {
	b.t.Helper()
	return strings.Fields(git(b.t, b.dir, "rev-list", "--parents", "-n1", sha))[1:]
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := gitOut(dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func gitOut(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}
