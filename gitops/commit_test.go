package gitops

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestCommitBuildsTreesAndPushes(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{
		"apps/podinfo/kustomization.yaml": "resources: [deploy.yaml]\n",
		"apps/podinfo/deploy.yaml":        "v1\n",
		"apps/old/deep/nested/x.yaml":     "x\n",
		"apps/old/deep/y.yaml":            "y\n",
		"z.txt":                           "z\n",
	})
	// An executable file keeps its mode when modified.
	otherCommit(t, remote, map[string]string{"hack/run.sh": "#!/bin/sh\n"}, "Add script")
	work := t.TempDir()
	run(t, work, "clone", "-q", remote, ".")
	run(t, work, "update-index", "--chmod=+x", "hack/run.sh")
	run(t, work, "commit", "-q", "-m", "Make script executable")
	run(t, work, "push", "-q", "origin", "main")

	r := openTest(t, remote)
	ctx := testContext(t)
	head := r.Head()

	c1, err := r.Commit(head, map[string][]byte{
		"apps/podinfo/deploy.yaml":                   []byte("v2\n"),                 // modify
		"apps/podinfo/gitcanary/podinfo/status.yaml": []byte("phase: Initialized\n"), // add, new dirs
		"apps/old/deep/nested/x.yaml":                nil,                            // delete, dir becomes empty
		"apps/old/deep/y.yaml":                       nil,                            // ... and so does its parent
		"hack/run.sh":                                []byte("#!/bin/sh\necho hi\n"),
		"does/not/exist.yaml":                        nil, // deleting a missing file is a no-op
	}, FormatMessage("Initialization done! podinfo.test", nil, []Trailer{{"Canary", "test/podinfo"}}), testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	// A second commit chained on the first, in the same pass.
	c2, err := r.Commit(c1, map[string][]byte{"z.txt": nil, "apps/podinfo/gitcanary/podinfo/status.yaml": []byte("phase: Progressing\n")},
		"Advance podinfo.test canary weight 10\n", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Commit(c2, map[string][]byte{"apps/podinfo/deploy.yaml": []byte("v2\n")}, "noop", testAuthor, testTime); !errors.Is(err, ErrNoChanges) {
		t.Fatalf("identical tree: err = %v, want ErrNoChanges", err)
	}
	if err := r.Push(ctx, c2); err != nil {
		t.Fatal(err)
	}
	if r.Head() != c2 {
		t.Fatalf("Head after push = %s, want %s", r.Head(), c2)
	}
	if got := run(t, r.Dir(), "rev-parse", "refs/remotes/origin/main"); got != c2.String() {
		t.Fatalf("tracking ref after push = %s", got)
	}

	if got := run(t, remote, "rev-parse", "main"); got != c2.String() {
		t.Fatalf("remote main = %s, want %s", got, c2)
	}
	run(t, remote, "fsck", "--strict", "--no-dangling")
	if got := run(t, remote, "ls-tree", "-r", "--name-only", "main"); got != strings.Join([]string{
		"apps/podinfo/deploy.yaml",
		"apps/podinfo/gitcanary/podinfo/status.yaml",
		"apps/podinfo/kustomization.yaml",
		"hack/run.sh",
	}, "\n") {
		t.Fatalf("ls-tree:\n%s", got)
	}
	if got := run(t, remote, "ls-tree", "main", "apps/"); strings.Contains(got, "old") {
		t.Fatalf("empty directory apps/old left in the tree:\n%s", got)
	}
	if got := run(t, remote, "ls-tree", "main", "hack/run.sh"); !strings.HasPrefix(got, "100755 ") {
		t.Fatalf("executable mode lost: %s", got)
	}
	if got := run(t, remote, "show", "main:apps/podinfo/gitcanary/podinfo/status.yaml"); got != "phase: Progressing" {
		t.Fatalf("status.yaml = %q", got)
	}
	if got := run(t, remote, "show", "main~1:apps/podinfo/deploy.yaml"); got != "v2" {
		t.Fatalf("deploy.yaml in first commit = %q", got)
	}
	if got := run(t, remote, "log", "--format=%s|%an <%ae>|%cn|%aI", "-3", "main"); got != strings.Join([]string{
		"Advance podinfo.test canary weight 10|gitcanary <bot@example.com>|gitcanary|2026-01-02T03:04:05+00:00",
		"Initialization done! podinfo.test|gitcanary <bot@example.com>|gitcanary|2026-01-02T03:04:05+00:00",
		"Make script executable|Other Writer <other@example.com>|Other Writer|" + run(t, remote, "log", "-1", "--format=%aI", "main~2"),
	}, "\n") {
		t.Fatalf("log:\n%s", got)
	}
}

func TestCommitRootAndInvalidPaths(t *testing.T) {
	t.Parallel()
	r := openTest(t, newRemote(t, map[string]string{"a": "a\n"}))
	for _, p := range []string{"/abs", "a/../b", "./a", "a//b", ".git/config", "dir/"} {
		if _, err := r.Commit(r.Head(), map[string][]byte{p: []byte("x")}, "m", testAuthor, testTime); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
	if _, err := r.Commit(r.Head(), map[string][]byte{"x": []byte("f"), "x/y": []byte("d")}, "m", testAuthor, testTime); err == nil {
		t.Error("a path written as both file and directory was accepted")
	}
	// A root commit (zero parent) on an empty tree.
	h, err := r.Commit(plumbing.ZeroHash, map[string][]byte{"only.txt": []byte("1")}, "root", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := r.Snapshot(h)
	if data, _ := s.ReadFile("only.txt"); string(data) != "1" {
		t.Fatalf("root commit content = %q", data)
	}
	if _, err := r.Commit(h, map[string][]byte{"only.txt": nil}, "empty", testAuthor, testTime); err != nil {
		t.Fatalf("deleting the last file must give the empty tree: %v", err)
	}
}

// TestCommitKeepsGitTreeOrder commits, one after the other, changes that
// keep an entry's place (a file replaced), move it (a file turned into a
// directory, whose name then sorts as "a/"), add names that sort between a
// directory and its file twin ("a-b", "a.b", "a0"), and remove entries;
// git's fsck --strict checks the order of every tree pushed, and ls-tree
// shows the files each commit should have.
func TestCommitKeepsGitTreeOrder(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{"d/a": "1\n", "d/b": "1\n", "d/c/x": "1\n"})
	r := openTest(t, remote)
	want := map[string]string{"d/a": "1", "d/b": "1", "d/c/x": "1"}
	steps := []map[string][]byte{
		{"d/b": []byte("2\n")},                           // in place
		{"d/a": nil, "d/a/inner": []byte("3\n")},         // a file becomes a directory
		{"d/a-b": []byte("4\n"), "d/a.b": []byte("5\n")}, // sort between "a" and "a/"
		{"d/a0": []byte("6\n"), "d/c/x": nil},            // the directory c disappears
		{"d/a/inner": nil, "d/a": []byte("7\n")},         // back to a file
		{"d/c": []byte("8\n"), "d/b": nil},
	}
	tip := r.Head()
	for i, changes := range steps {
		var err error
		if tip, err = r.Commit(tip, changes, fmt.Sprintf("Step %d\n", i), testAuthor, testTime); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		for p, d := range changes {
			if d == nil {
				delete(want, p)
			} else {
				want[p] = strings.TrimSpace(string(d))
			}
		}
		if err := r.Push(testContext(t), tip); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		run(t, remote, "fsck", "--strict", "--no-progress")
		var got []string
		for _, l := range strings.Split(run(t, remote, "ls-tree", "-r", "--name-only", "main"), "\n") {
			got = append(got, l+"="+run(t, remote, "show", "main:"+l))
		}
		var exp []string
		for p, v := range want {
			exp = append(exp, p+"="+v)
		}
		sort.Strings(exp)
		sort.Strings(got)
		if strings.Join(got, " ") != strings.Join(exp, " ") {
			t.Fatalf("step %d: files\n got %v\nwant %v", i, got, exp)
		}
	}
}
