package gitops

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestSnapshotReads(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{
		"apps/podinfo/deploy.yaml": "kind: Deployment\n",
		"apps/podinfo/svc.yaml":    "kind: Service\n",
		"README.md":                "readme\n",
	})
	r := openTest(t, remote)
	s, err := r.Snapshot(r.Head())
	if err != nil {
		t.Fatal(err)
	}
	if s.Commit() != r.Head() {
		t.Fatalf("Commit = %s", s.Commit())
	}
	data, err := s.ReadFile("apps/podinfo/deploy.yaml")
	if err != nil || string(data) != "kind: Deployment\n" {
		t.Fatalf("ReadFile = %q, %v", data, err)
	}
	if data, err := s.ReadFile("./apps//podinfo/../podinfo/svc.yaml"); err != nil || string(data) != "kind: Service\n" {
		t.Fatalf("ReadFile unclean path = %q, %v", data, err)
	}
	for _, p := range []string{"missing.yaml", "apps/podinfo", "apps/podinfo/deploy.yaml/x"} {
		if _, err := s.ReadFile(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile(%q) err = %v, want fs.ErrNotExist", p, err)
		}
	}
	h, ok := s.BlobHash("README.md")
	if want := run(t, remote, "rev-parse", "main:README.md"); !ok || h.String() != want {
		t.Fatalf("BlobHash = %s, %v; want %s", h, ok, want)
	}
	if _, ok := s.BlobHash("apps"); ok {
		t.Fatal("BlobHash of a directory must report false")
	}
	var paths []string
	err = s.Walk(func(p string, blob plumbing.Hash) error {
		if want := run(t, remote, "rev-parse", "main:"+p); blob.String() != want {
			t.Errorf("Walk %s blob %s, want %s", p, blob, want)
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"README.md", "apps/podinfo/deploy.yaml", "apps/podinfo/svc.yaml"}
	if !reflect.DeepEqual(paths, want) {
		t.Fatalf("Walk paths = %v, want %v", paths, want)
	}
	stop := errors.New("stop")
	n := 0
	if err := s.Walk(func(string, plumbing.Hash) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Walk must stop at the first error: n=%d err=%v", n, err)
	}
}

func TestSnapshotDigest(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{"app/a.yaml": "a\n", "app/b.yaml": "b\n", "other/c.yaml": "c\n"})
	r := openTest(t, remote)
	s1, _ := r.Snapshot(r.Head())
	paths := []string{"app/a.yaml", "app/kustomization.yml", "app"}
	d1 := s1.Digest(paths, nil)

	otherCommit(t, remote, map[string]string{"other/c.yaml": "changed\n", "app/b.yaml": "changed\n"}, "unrelated")
	h, _ := r.Fetch(testContext(t))
	s2, _ := r.Snapshot(h)
	if d2 := s2.Digest(paths, nil); d2 != d1 {
		t.Fatal("digest changed although no recorded path changed")
	}
	if s2.Digest(append(paths, "app/"), nil) == s1.Digest(append(paths, "app/"), nil) {
		t.Fatal("digest with the app listing must change when a file in app changes")
	}
	otherCommit(t, remote, map[string]string{"app/kustomization.yml": "resources: []\n"}, "add kustomization.yml")
	h, _ = r.Fetch(testContext(t))
	s3, _ := r.Snapshot(h)
	if s3.Digest(paths, nil) == d1 {
		t.Fatal("digest must change when a recorded missing path appears")
	}
}

// A blob larger than MaxFileBytes (a gigabyte of zeros is a megabyte once
// compressed) is refused from its size, without being read.
func TestSnapshotRefusesHugeFiles(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{
		"apps/x/huge.yaml": strings.Repeat("\n", MaxFileBytes+1),
		"apps/x/ok.yaml":   "kind: ConfigMap\n",
	})
	r := openTest(t, remote)
	s, err := r.Snapshot(r.Head())
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.ReadFile("apps/x/huge.yaml")
	want := "apps/x/huge.yaml: beyond the render limits: 67108865 bytes, more than 67108864"
	if !errors.Is(err, ErrTooLarge) || err.Error() != want {
		t.Fatalf("ReadFile = %v, want %s", err, want)
	}
	if data, err := s.ReadFile("apps/x/ok.yaml"); err != nil || string(data) != "kind: ConfigMap\n" {
		t.Fatalf("ReadFile = %q, %v", data, err)
	}
}
