package gitops

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// envRenderChild makes the test binary, run again by
// TestRenderMemoryIsBounded, play the child: render an alias bomb and a
// healthy app under an address-space limit and print the outcome.
const envRenderChild = "GITCANARY_TEST_RENDER_CHILD"

// addressSpaceKiB is the child's address-space limit (ulimit -v): well
// above what a Go test binary and a render need, far below what the alias
// bomb expands to.
const addressSpaceKiB = 2 << 20 // 2 GiB

// One app's alias bomb must not take the process down: under an address
// space limit, the bomb is refused with an error naming its file and the
// healthy app in the same repository still renders.
func TestRenderMemoryIsBounded(t *testing.T) {
	if os.Getenv(envRenderChild) != "" {
		renderChild()
		return
	}
	if testing.Short() {
		t.Skip("runs the test binary again under a memory limit")
	}
	cmd := exec.Command("/bin/sh", "-c", fmt.Sprintf(`ulimit -v %d && exec "$0" -test.run='^TestRenderMemoryIsBounded$' -test.count=1`, addressSpaceKiB), os.Args[0])
	cmd.Env = append(os.Environ(), envRenderChild+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("child under ulimit -v %d:\n%s", addressSpaceKiB, out)
	if err != nil {
		t.Fatalf("the child died under the address-space limit: %v", err)
	}
	for _, want := range []string{
		"bomb: render apps/bomb: apps/bomb/configmap.yaml: document 1: beyond the render limits: YAML aliases expand to more than",
		"healthy: Deployment test/podinfo image ghcr.io/stefanprodan/podinfo:6.0.0",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q", want)
		}
	}
}

// renderChild renders both apps of one repository and prints what came
// out; the parent reads it.
func renderChild() {
	fsys := NewFS(nil)
	bombApp(fsys, 9)
	healthyApp(fsys)
	for _, app := range []string{"bomb", "healthy"} {
		objs, err := Render(fsys, "apps/"+app)
		if err != nil {
			fmt.Printf("%s: %v\n", app, err)
			continue
		}
		for _, o := range objs {
			img, _ := o.Pipe(yamlLookup("spec", "template", "spec", "containers", "[name=podinfo]", "image"))
			fmt.Printf("%s: %s %s/%s image %s\n", app, o.GetKind(), o.GetNamespace(), o.GetName(), strings.TrimSpace(img.MustString()))
		}
	}
}
