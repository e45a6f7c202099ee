package gitops

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/object"
)

func TestPushConflictThenRetry(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{"apps/podinfo/status.yaml": "phase: Initialized\n"})
	r := openTest(t, remote)
	ctx := testContext(t)

	mine, err := r.Commit(r.Head(), map[string][]byte{"apps/podinfo/status.yaml": []byte("phase: Progressing\n")},
		"Advance podinfo.test canary weight 10\n", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	// CI pushes first.
	theirs := otherCommit(t, remote, map[string]string{"apps/podinfo/deploy.yaml": "image: podinfo:6.0.1\n"}, "Bump podinfo to 6.0.1")

	err = r.Push(ctx, mine)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("push over a moved branch: err = %v, want ErrConflict", err)
	}
	if got := run(t, remote, "rev-parse", "main"); got != theirs {
		t.Fatalf("remote main = %s, the other writer's commit %s was lost", got, theirs)
	}

	head, err := r.Fetch(ctx)
	if err != nil || head.String() != theirs {
		t.Fatalf("Fetch = %s, %v; want %s", head, err, theirs)
	}
	mine, err = r.Commit(head, map[string][]byte{"apps/podinfo/status.yaml": []byte("phase: Progressing\n")},
		"New revision detected! Scaling up podinfo.test\n", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Push(ctx, mine); err != nil {
		t.Fatalf("push after refetch: %v", err)
	}
	if got := run(t, remote, "log", "--format=%s", "main"); got != "New revision detected! Scaling up podinfo.test\nBump podinfo to 6.0.1\nInitial commit" {
		t.Fatalf("history:\n%s", got)
	}
	if merges := run(t, remote, "rev-list", "--merges", "main"); merges != "" {
		t.Fatalf("history not linear: %s", merges)
	}
	if got := run(t, remote, "show", "main:apps/podinfo/deploy.yaml"); got != "image: podinfo:6.0.1" {
		t.Fatalf("other writer's file = %q", got)
	}
}

func TestPushAlreadyThere(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{"a": "a\n"})
	r := openTest(t, remote)
	if err := r.Push(testContext(t), r.Head()); err != nil {
		t.Fatalf("pushing the current head must succeed: %v", err)
	}
}

func TestLogFirstParent(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{"a": "1\n"})
	otherCommit(t, remote, map[string]string{"a": "2\n"}, "Second")
	// A merge whose second parent must be skipped.
	work := t.TempDir()
	run(t, work, "clone", "-q", remote, ".")
	run(t, work, "checkout", "-q", "-b", "side")
	run(t, work, "commit", "-q", "--allow-empty", "-m", "Side")
	run(t, work, "checkout", "-q", "main")
	run(t, work, "commit", "-q", "--allow-empty", "-m", "Main")
	run(t, work, "merge", "-q", "--no-ff", "-m", "Merge side", "side")
	run(t, work, "push", "-q", "origin", "main")

	r := openTest(t, remote)
	var subjects []string
	err := r.Log(testContext(t), r.Head(), func(c *object.Commit) error {
		subjects = append(subjects, strings.TrimSpace(c.Message))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(subjects, ","); got != "Merge side,Main,Second,Initial commit" {
		t.Fatalf("Log = %s", got)
	}
	n := 0
	err = r.Log(testContext(t), r.Head(), func(*object.Commit) error {
		n++
		if n == 2 {
			return ErrStopLog
		}
		return nil
	})
	if err != nil || n != 2 {
		t.Fatalf("ErrStopLog: n=%d err=%v", n, err)
	}
}

// TestPushLosesRaceOnServer makes the remote move between the ref
// advertisement and the ref update (a pre-receive hook moves the branch), so
// go-git's own fast-forward check passes and receive-pack's compare-and-swap
// refuses the update.
func TestPushLosesRaceOnServer(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{"a": "1\n"})
	r := openTest(t, remote)
	theirs := otherCommit(t, remote, map[string]string{"b": "theirs\n"}, "Racing writer")
	run(t, remote, "update-ref", "refs/heads/main", r.Head().String()) // hide it again
	hook := "#!/bin/sh\nenv -u GIT_QUARANTINE_PATH git update-ref refs/heads/main " + theirs + "\n"
	if err := os.WriteFile(filepath.Join(remote, "hooks", "pre-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	mine, err := r.Commit(r.Head(), map[string][]byte{"a": []byte("2\n")}, "Mine\n", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Push(testContext(t), mine)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("lost race: err = %v, want ErrConflict", err)
	}
	if got := run(t, remote, "rev-parse", "main"); got != theirs {
		t.Fatalf("remote main = %s, want the racing writer's %s", got, theirs)
	}
	t.Logf("conflict error: %v", err)
}

func TestPushRootCommitToEmptyRemote(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	remote := filepath.Join(root, "empty.git")
	run(t, root, "init", "-q", "--bare", "-b", "main", remote)
	r := openTest(t, remote)
	if _, err := r.Fetch(testContext(t)); !errors.Is(err, ErrBranchNotFound) {
		t.Fatalf("Fetch of an empty remote: %v, want ErrBranchNotFound", err)
	}
	h, err := r.Commit(r.Head(), map[string][]byte{"apps/kustomization.yaml": []byte("resources: []\n")}, "Seed\n", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Push(testContext(t), h); err != nil {
		t.Fatal(err)
	}
	if got := run(t, remote, "log", "--format=%s", "main"); got != "Seed" {
		t.Fatalf("log = %q", got)
	}
	if head, err := r.Fetch(testContext(t)); err != nil || head != h {
		t.Fatalf("Fetch after seeding = %s, %v", head, err)
	}
}

func TestFileURLCommitPush(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{"a": "1\n"})
	r := openTest(t, "file://"+remote)
	h, err := r.Commit(r.Head(), map[string][]byte{"a": []byte("2\n")}, "Over file://\n", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Push(testContext(t), h); err != nil {
		t.Fatal(err)
	}
	if got := run(t, remote, "show", "main:a"); got != "2" {
		t.Fatalf("a = %q", got)
	}
}

// TestPushSendsOnlyTheNewObjects pushes two commits of a pass over a
// remote with many files: the remote receives exactly the objects they
// made (receive-pack unpacks a small pack into loose objects, which
// count-objects counts), and a fetch afterwards finds nothing to bring.
func TestPushSendsOnlyTheNewObjects(t *testing.T) {
	t.Parallel()
	files := map[string]string{}
	for i := range 60 {
		files[fmt.Sprintf("apps/app%02d/deployment.yaml", i)] = fmt.Sprintf("replicas: %d\n", i)
	}
	remote := newRemote(t, files)
	run(t, remote, "repack", "-adq")
	r := openTest(t, remote)
	loose := func() string {
		for _, l := range strings.Split(run(t, remote, "count-objects", "-v"), "\n") {
			if n, ok := strings.CutPrefix(l, "count: "); ok {
				return n
			}
		}
		t.Fatal("count-objects printed no count")
		return ""
	}
	if n := loose(); n != "0" {
		t.Fatalf("loose objects before the push = %s", n)
	}
	// Each commit: a blob, the app's tree, apps/, the root tree, the commit.
	first, err := r.Commit(r.Head(), map[string][]byte{"apps/app07/deployment.yaml": []byte("replicas: 70\n")}, "First\n", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	second, err := r.Commit(first, map[string][]byte{"apps/app08/deployment.yaml": []byte("replicas: 80\n")}, "Second\n", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Push(testContext(t), second); err != nil {
		t.Fatal(err)
	}
	if n := loose(); n != "10" {
		t.Errorf("the remote received %s objects, want the 10 the two commits made", n)
	}
	run(t, remote, "fsck", "--strict", "--no-progress")
	if got := run(t, remote, "show", "main:apps/app08/deployment.yaml"); got != "replicas: 80" {
		t.Fatalf("pushed file = %q", got)
	}
	if head, err := r.Fetch(testContext(t)); err != nil || head != second {
		t.Fatalf("Fetch after the push = %s, %v", head, err)
	}
}

// A pass that changes one app at a time in a large directory keeps each new
// version of that directory's tree as a delta against the previous one
// (whole every maxDeltaDepth versions): the pending objects stay small,
// and the pack it pushes, REF deltas against objects of the same pack,
// is one git stores and reads.
func TestNewTreeVersionsAreDeltas(t *testing.T) {
	t.Parallel()
	const apps, commits = 600, 120
	files := map[string]string{}
	for i := range apps {
		files[fmt.Sprintf("apps/app%03d/deployment.yaml", i)] = fmt.Sprintf("replicas: %d\n", i)
	}
	remote := newRemote(t, files)
	r := openTest(t, remote)
	head := r.Head()
	for i := range commits {
		p := fmt.Sprintf("apps/app%03d/deployment.yaml", i*5)
		var err error
		if head, err = r.Commit(head, map[string][]byte{p: fmt.Appendf(nil, "replicas: %d\n", 1000+i)}, fmt.Sprintf("Step %d\n", i), testAuthor, testTime); err != nil {
			t.Fatal(err)
		}
	}
	// Whole, the 120 versions of apps/ (600 entries, about 20 KiB each)
	// take more than 1 MiB compressed.
	if n := r.PendingBytes(); n > 256<<10 {
		t.Errorf("the pending objects of %d commits take %d bytes", commits, n)
	}
	snap, err := r.Snapshot(head)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := snap.ReadFile("apps/app595/deployment.yaml"); err != nil || string(got) != "replicas: 1119\n" {
		t.Fatalf("pending read = %q, %v", got, err)
	}
	if err := r.Push(testContext(t), head); err != nil {
		t.Fatal(err)
	}
	run(t, remote, "fsck", "--strict", "--no-progress")
	for i := range commits {
		want := fmt.Sprintf("replicas: %d", 1000+i)
		if got := run(t, remote, "show", fmt.Sprintf("main~%d:apps/app%03d/deployment.yaml", commits-1-i, i*5)); got != want {
			t.Fatalf("commit %d: pushed file = %q, want %q", i, got, want)
		}
	}
	// The pushed pack is also the clone's: it reads back from disk.
	if r.PendingBytes() != 0 {
		t.Fatalf("objects still pending after the push")
	}
	if snap, err = r.Snapshot(head); err != nil {
		t.Fatal(err)
	}
	if got, err := snap.ReadFile("apps/app595/deployment.yaml"); err != nil || string(got) != "replicas: 1119\n" {
		t.Fatalf("read from the clone's pack = %q, %v", got, err)
	}
	run(t, r.Dir(), "fsck", "--strict", "--no-progress")
}
