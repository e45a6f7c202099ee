package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A page renders only the apps whose canaries it shows, once per head, and
// a new head renders an app again only when the files that decided its
// images changed.
func TestImagesRenderedWhenTheirInputsChange(t *testing.T) {
	w := newWorld(t, nil)
	if got := w.rollout("6.0.1"); got != "Succeeded" {
		t.Fatalf("6.0.1 ended %s", got)
	}
	u := w.ui(DefaultOptions())
	renders := func(want int, after string) {
		t.Helper()
		if got := u.images.Renders(); got != want {
			t.Errorf("after %s: %d renders, want %d", after, got, want)
		}
	}
	renders(0, "the first fetch") // nothing shown yet
	if _, page := u.get(t, "/canaries/test/podinfo"); !strings.Contains(page, "ghcr.io/stefanprodan/podinfo:6.0.1") {
		t.Fatalf("the canary page does not show the image 6.0.1")
	}
	renders(1, "the canary page")
	for _, path := range []string{"/", "/canaries/test/podinfo", "/?namespace=test"} {
		u.get(t, path)
	}
	renders(1, "more pages of the same head")

	// A commit that changes no input of the app: the images are known.
	Git(t, w.ci, "pull", "-q", "--ff-only")
	if err := os.WriteFile(filepath.Join(w.ci, "NOTES.md"), []byte("notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.push("Docs", "Jane")
	u.refresh()
	if _, page := u.get(t, "/"); !strings.Contains(page, "ghcr.io/stefanprodan/podinfo:6.0.1") {
		t.Fatalf("the overview does not show the image 6.0.1")
	}
	renders(1, "a new head with the same inputs")

	// CI bumps the image: the app is rendered again, once.
	w.bump("6.0.2")
	u.refresh()
	if _, page := u.get(t, "/"); !strings.Contains(page, "ghcr.io/stefanprodan/podinfo:6.0.2") {
		t.Fatalf("the overview does not show the image 6.0.2")
	}
	u.get(t, "/canaries/test/podinfo")
	renders(2, "the bump")
}
