package gitops

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func yamlLookup(path ...string) yaml.Filter { return yaml.Lookup(path...) }

// configMapSuffix returns the hash suffix kustomize gave podinfo-config.
func configMapSuffix(t *testing.T, objs []*yaml.RNode) string {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == "ConfigMap" {
			return o.GetName()[len("podinfo-config-"):]
		}
	}
	t.Fatal("no ConfigMap rendered")
	return ""
}

func TestFSOperations(t *testing.T) {
	t.Parallel()
	r := openTest(t, newRemote(t, map[string]string{
		"a/one.yaml":     "1\n",
		"a/two.yaml":     "2\n",
		"a/sub/three.md": "3\n",
		"b/only.yaml":    "b\n",
	}))
	s, _ := r.Snapshot(r.Head())
	f := NewFS(s)

	names, err := f.ReadDir("/a")
	if want := []string{"one.yaml", "sub", "two.yaml"}; err != nil || !reflect.DeepEqual(names, want) {
		t.Fatalf("ReadDir = %v, %v; want %v", names, err, want)
	}
	if _, err := f.ReadFile("/a/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadFile missing: %v", err)
	}
	d, name, err := f.CleanedAbs("a/../a/one.yaml")
	if err != nil || string(d) != "/a" || name != "one.yaml" {
		t.Fatalf("CleanedAbs = %q %q %v", d, name, err)
	}
	if d, name, err := f.CleanedAbs("/a/sub"); err != nil || string(d) != "/a/sub" || name != "" {
		t.Fatalf("CleanedAbs dir = %q %q %v", d, name, err)
	}

	// Writes through Create and WriteFile land in the overlay only.
	w, err := f.Create("/c/new.yaml")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "new\n")
	w.Close()
	if err := f.WriteFile("a/one.yaml", []byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if data, _ := f.ReadFile("a/one.yaml"); string(data) != "one\n" {
		t.Fatalf("overlay read = %q", data)
	}
	if data, _ := s.ReadFile("a/one.yaml"); string(data) != "1\n" {
		t.Fatalf("snapshot changed: %q", data)
	}
	// Removing b's only file removes the directory b.
	if err := f.RemoveAll("/b"); err != nil {
		t.Fatal(err)
	}
	if f.IsDir("b") || f.Exists("b/only.yaml") {
		t.Fatal("b still visible after RemoveAll")
	}
	root, _ := f.ReadDir("/")
	if want := []string{"a", "c"}; !reflect.DeepEqual(root, want) {
		t.Fatalf("root = %v, want %v", root, want)
	}
	matches, err := f.Glob("/a/*.yaml")
	if want := []string{"/a/one.yaml", "/a/two.yaml"}; err != nil || !reflect.DeepEqual(matches, want) {
		t.Fatalf("Glob = %v, %v", matches, err)
	}
	var walked []string
	err = f.Walk("/a", func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() && filepath.Base(p) == "sub" {
			return filepath.SkipDir
		}
		walked = append(walked, p)
		return nil
	})
	if want := []string{"/a", "/a/one.yaml", "/a/two.yaml"}; err != nil || !reflect.DeepEqual(walked, want) {
		t.Fatalf("Walk = %v, %v; want %v", walked, err, want)
	}
	want := map[string][]byte{"a/one.yaml": []byte("one\n"), "b/only.yaml": nil, "c/new.yaml": []byte("new\n")}
	if got := f.Changes(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Changes = %q, want %q", got, want)
	}
	if got := f.ReadPaths(); !reflect.DeepEqual(got[:2], []string{"/", "a"}) {
		t.Fatalf("ReadPaths = %v", got)
	}
}
