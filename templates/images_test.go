package templates

import (
	"path"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/gitcanary/gitcanary/reconciler/api/apitest"
)

func TestPlaceholder(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"ghcr.io/stefanprodan/podinfo:6.0.0", "ghcr.io.gitcanary.invalid/stefanprodan/podinfo:6.0.0"},
		{"podinfo", "gitcanary.invalid/podinfo"},
		{"library/nginx:1.25", "gitcanary.invalid/library/nginx:1.25"},
		{"localhost:5000/podinfo:1.0", "localhost.gitcanary.invalid:5000/podinfo:1.0"},
		{"localhost/podinfo", "localhost.gitcanary.invalid/podinfo"},
		{"registry.example.com:443/team/app@sha256:0123abcd", "registry.example.com.gitcanary.invalid:443/team/app@sha256:0123abcd"},
		{"podinfo:6.0.1@sha256:0123abcd", "gitcanary.invalid/podinfo:6.0.1@sha256:0123abcd"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got := placeholder(tt.ref)
			if got != tt.want {
				t.Errorf("placeholder(%q) = %q, want %q", tt.ref, got, tt.want)
			}
			if !IsPlaceholder(got) || IsPlaceholder(tt.ref) {
				t.Errorf("IsPlaceholder(%q) = %v, IsPlaceholder(%q) = %v", got, IsPlaceholder(got), tt.ref, IsPlaceholder(tt.ref))
			}
			if back := RealImage(got); back != tt.ref {
				t.Errorf("RealImage(%q) = %q, want %q", got, back, tt.ref)
			}
			if again := placeholder(got); again != got {
				t.Errorf("placeholder of a placeholder: %q, want it unchanged", again)
			}
		})
	}
}

// TestOverlayImagesEntry is the proof that the placeholder design works with
// Kustomize's order: the app's images: entries (CI's bump, in whatever order
// `kustomize edit set image` sorts them) reach the canary only, and the
// primary renders with its real name and its promoted tag.
func TestOverlayImagesEntry(t *testing.T) {
	fs := filesys.MakeFsInMemory()
	write(t, fs, "/base/deployment.yaml", strings.Replace(renderDeployment, "      volumes:\n",
		"      - name: sidecar\n        image: localhost:5000/proxy:1.0\n      initContainers:\n      - name: init\n        image: busybox:1.36\n      volumes:\n", 1))
	write(t, fs, "/base/configmap.yaml", renderConfigMap)
	write(t, fs, "/base/kustomization.yaml", "resources:\n- deployment.yaml\n- configmap.yaml\n")
	kust := "namespace: test\nresources:\n- ../base\n"
	write(t, fs, "/app/kustomization.yaml", kust)
	before := render(t, fs)

	c := apitest.Canary(t, "    interval: 1m\n    stepWeight: 10\n")
	in := Input{Canary: c, Target: find(t, before, "Deployment", "podinfo")}
	files := componentFiles(t, in, Routing{PrimaryWeight: 100}, Options{ScaleDown: true})
	if _, ok := files[ImagesFile]; !ok {
		t.Fatalf("no %s generated", ImagesFile)
	}
	// CI bumps every image in the overlay; the entries are sorted by name,
	// as `kustomize edit set image` leaves them, around gitcanary's
	// placeholder names.
	bumped := kust + "images:\n" +
		"- name: busybox\n  newTag: \"1.37\"\n" +
		"- name: ghcr.io/stefanprodan/podinfo\n  newTag: 6.0.1\n" +
		"- name: localhost:5000/proxy\n  newName: registry.example.com/proxy\n  newTag: \"2.0\"\n"
	after := renderWith(t, fs, bumped, c, files)

	containers := func(name string) []string {
		return ContainerImages(find(t, after, "Deployment", name))
	}
	if got, want := strings.Join(containers("podinfo-primary"), " "), "ghcr.io/stefanprodan/podinfo:6.0.0 localhost:5000/proxy:1.0 busybox:1.36"; got != want {
		t.Errorf("primary runs %s, want %s", got, want)
	}
	if got, want := strings.Join(containers("podinfo"), " "), "ghcr.io/stefanprodan/podinfo:6.0.1 registry.example.com/proxy:2.0 busybox:1.37"; got != want {
		t.Errorf("canary runs %s, want %s", got, want)
	}
	// Without the transformer, the primary would run its placeholders: the
	// file is what gives the real names back.
	delete(files, ImagesFile)
	for _, img := range ContainerImages(find(t, renderWith(t, fs, bumped, c, files), "Deployment", "podinfo-primary")) {
		if !IsPlaceholder(img) {
			t.Errorf("without %s the primary runs %s", path.Join(Dir(c), ImagesFile), img)
		}
	}
}
