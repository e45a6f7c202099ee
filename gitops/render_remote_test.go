package gitops

import (
	"errors"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/fixtures/gitserve"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// remoteBase makes a bare repository holding a kustomize base in app/, as a
// platform team publishes one, and returns its directory.
func remoteBase(t *testing.T) string {
	t.Helper()
	return newRemote(t, map[string]string{
		"app/kustomization.yaml": "resources:\n- deployment.yaml\n",
		"app/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shared-base
spec:
  template:
    spec:
      containers:
      - name: app
        image: ghcr.io/example/shared:1.0.0
`,
	})
}

// countingGit serves the bare repositories under root with git
// http-backend and counts the requests.
func countingGit(t *testing.T, root string) (string, *atomic.Int32) {
	t.Helper()
	backend := gitserve.Backend(t, root)
	n := new(atomic.Int32)
	return serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		backend.ServeHTTP(w, r)
	})), n
}

// appWith is a config repository whose app names resource in its
// kustomization.
func appWith(resource string) *FS {
	fsys := NewFS(nil)
	fsys.Set("apps/shared/kustomization.yaml", []byte("namespace: test\nresources:\n- "+resource+"\n"))
	return fsys
}

// kustomizeTemps lists the clone directories kustomize left in dir.
func kustomizeTemps(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), cloneDirPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// A remote base renders as in kustomize-controller (cloned by kustomize,
// read from the clone), and no clone is left behind.
func TestRenderRemoteBase(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // kustomize clones into os.TempDir()
	base := remoteBase(t)
	url, requests := countingGit(t, filepath.Dir(base))
	for _, tt := range []struct{ name, resource string }{
		{"http", url + "/" + filepath.Base(base) + "//app?ref=main"},
		{"file", "file://" + base + "//app?ref=main"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // the second render clones again: nothing is kept
				objs, err := Render(appWith(tt.resource), "apps/shared")
				if err != nil {
					t.Fatalf("render with a remote base: %v", err)
				}
				if len(objs) != 1 || objs[0].GetName() != "shared-base" || objs[0].GetNamespace() != "test" {
					t.Fatalf("rendered %d objects, want the base's Deployment in namespace test", len(objs))
				}
				if left := kustomizeTemps(t, tmp); len(left) > 0 {
					t.Fatalf("the render left clones behind: %v", left)
				}
			}
		})
	}
	if requests.Load() == 0 {
		t.Fatal("the http base was not fetched from the server")
	}
}

// With --no-remote-bases, a kustomization naming a remote resource, even
// in a local base, is refused before anything is fetched, and the error
// names the kustomization file and the entry.
func TestRenderRefusesRemoteBases(t *testing.T) {
	t.Parallel()
	base := remoteBase(t)
	url, requests := countingGit(t, filepath.Dir(base))
	remote := url + "/" + filepath.Base(base) + "//app?ref=main"
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"resource", map[string]string{"apps/shared/kustomization.yaml": "resources:\n- deployment.yaml\n- " + remote + "\n"},
			"apps/shared/kustomization.yaml: resources[1]: " + remote},
		{"in a local base", map[string]string{
			"apps/shared/kustomization.yaml": "resources:\n- ../../bases/web\n",
			"bases/web/kustomization.yaml":   "components:\n- git@github.com:acme/components.git//istio?ref=v1\n",
		}, "bases/web/kustomization.yaml: components[0]: git@github.com:acme/components.git//istio?ref=v1"},
		{"patch file over http", map[string]string{"apps/shared/kustomization.yaml": "resources:\n- deployment.yaml\npatches:\n- path: " + url + "/patch.yaml\n"},
			"patches[0]: " + url + "/patch.yaml"},
		{"generator file over http", map[string]string{"apps/shared/kustomization.yaml": "configMapGenerator:\n- name: c\n  files:\n  - conf=" + url + "/conf.json\n"},
			"configMapGenerator[0].files[0]: " + url + "/conf.json"},
		{"github shorthand", map[string]string{"apps/shared/kustomization.yaml": "resources:\n- github.com/acme/bases/web?ref=v1\n"},
			"resources[0]: github.com/acme/bases/web?ref=v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := NewFS(nil)
			fsys.Set("apps/shared/deployment.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\n"))
			for p, c := range tt.files {
				fsys.Set(p, []byte(c))
			}
			_, err := RenderWith(testContext(t), fsys, "apps/shared", RenderOptions{NoRemoteBases: true})
			if !errors.Is(err, ErrRemoteBase) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("render = %v, want ErrRemoteBase naming %q", err, tt.want)
			}
		})
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("%d requests reached the server: a refused base was fetched", n)
	}

	// A local app renders as before.
	fsys := NewFS(nil)
	fsys.Set("apps/local/kustomization.yaml", []byte("resources:\n- ../../bases/web\n"))
	fsys.Set("bases/web/kustomization.yaml", []byte("resources:\n- cm.yaml\n"))
	fsys.Set("bases/web/cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"))
	objs, err := RenderWith(testContext(t), fsys, "apps/local", RenderOptions{NoRemoteBases: true})
	if err != nil || len(objs) != 1 {
		t.Fatalf("render of a local app with --no-remote-bases = %d objects, %v", len(objs), err)
	}
}

func TestIsRemoteResource(t *testing.T) {
	t.Parallel()
	remote := []string{
		"https://github.com/acme/bases//web?ref=v1", "http://example.com/deploy.yaml",
		"ssh://git@example.com/acme/bases.git", "git@github.com:acme/bases.git", "git::https://example.com/x",
		"github.com/acme/bases/web", "file:///srv/bases.git", "GitHub.com:acme/x",
	}
	local := []string{"deployment.yaml", "../../bases/web", "gitcanary/podinfo", "configs/app.properties", "github/x.yaml"}
	for _, e := range remote {
		if !IsRemoteResource(e) {
			t.Errorf("IsRemoteResource(%q) = false", e)
		}
	}
	for _, e := range local {
		if IsRemoteResource(e) {
			t.Errorf("IsRemoteResource(%q) = true", e)
		}
	}
	if !slices.ContainsFunc(remote, IsRemoteResource) {
		t.Fatal("unreachable")
	}
}

// validate --no-remote-bases checks every kustomization of a checkout on
// disk before rendering anything.
func TestRemoteResourcesUnder(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for p, c := range map[string]string{
		"apps/a/kustomization.yaml":    "resources:\n- deployment.yaml\n- https://raw.example.com/x.yaml\n",
		"apps/b/kustomization.yml":     "resources:\n- ../../bases/web\n",
		"bases/web/Kustomization":      "components:\n- ssh://git@example.com/acme/c.git//istio\n",
		"apps/c/kustomization.yaml":    "resources:\n- deployment.yaml\n",
		".git/kustomization.yaml":      "resources:\n- https://not.read/\n",
		"apps/a/deployment.yaml":       "kind: Deployment\n",
		"apps/c/notes/kustomization.x": "resources:\n- https://not.a.kustomization/\n",
	} {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	problems, err := RemoteResourcesUnder(filesys.MakeFsOnDisk(), root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		if !errors.Is(p, ErrRemoteBase) {
			t.Errorf("%v does not wrap ErrRemoteBase", p)
		}
		got = append(got, p.Error())
	}
	want := []string{
		"apps/a/kustomization.yaml: resources[1]: https://raw.example.com/x.yaml: remote resource refused (--no-remote-bases)",
		"bases/web/Kustomization: components[0]: ssh://git@example.com/acme/c.git//istio: remote resource refused (--no-remote-bases)",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// run --no-remote-bases reaches the renders of the pass through the
// repository's options: Render over a snapshot uses them.
func TestRenderTakesTheRepositoryOptions(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{"apps/shared/kustomization.yaml": "resources:\n- https://example.com/base.yaml\n"})
	r, err := OpenRepo(testContext(t), RepoOptions{URL: remote, Branch: "main", Workdir: filepath.Join(t.TempDir(), "wd"), Render: RenderOptions{NoRemoteBases: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s, err := r.Snapshot(r.Head())
	if err != nil {
		t.Fatal(err)
	}
	_, err = Render(NewFS(s), "apps/shared")
	if !errors.Is(err, ErrRemoteBase) || !strings.Contains(err.Error(), "apps/shared/kustomization.yaml: resources[0]: https://example.com/base.yaml") {
		t.Fatalf("Render with the repository's --no-remote-bases = %v", err)
	}
}

// A render lists the temporary directory's clone directories only when the
// directory changed since the last listing.
func TestCloneDirsListedOnChange(t *testing.T) {
	tmp := t.TempDir()
	mkdir := func(name string) {
		t.Helper()
		if err := os.Mkdir(filepath.Join(tmp, name), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	mkdir(cloneDirPrefix + "a")
	mkdir("other")
	first := cloneDirsIn(tmp)
	if !maps.Equal(first, map[string]bool{cloneDirPrefix + "a": true}) {
		t.Fatalf("listed %v", first)
	}
	if again := cloneDirsIn(tmp); reflect.ValueOf(again).Pointer() != reflect.ValueOf(first).Pointer() {
		t.Error("an unchanged directory was listed again")
	}
	mkdir(cloneDirPrefix + "b")
	// The file system's clock may not have moved since the listing (its
	// timestamps are coarse): move it, as the next tick would.
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(tmp, later, later); err != nil {
		t.Fatal(err)
	}
	if got := cloneDirsIn(tmp); !maps.Equal(got, map[string]bool{cloneDirPrefix + "a": true, cloneDirPrefix + "b": true}) {
		t.Errorf("after a new clone directory, listed %v", got)
	}
}
