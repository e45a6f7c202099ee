package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImageLeavesOutWhatRunDoesNotUse lists the packages the image's binary
// (-tags nodemo) links and fails on those `run` never uses: the Kubernetes
// clientsets, informers and controller-runtime (gitcanary never calls the
// API) and the demo's simulated cluster and embedded PromQL engine. Helm's
// template engine, which renders HelmReleases, links client-go's REST
// client and scheme for its `lookup` function (never given a cluster
// here): those are allowed, nothing past them.
func TestImageLeavesOutWhatRunDoesNotUse(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the binary's packages: %v", err)
	}
	list := func(tags string) []string {
		t.Helper()
		out, err := exec.Command(goBin, "list", "-deps", "-tags="+tags, ".").CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps -tags=%s: %v\n%s", tags, err, out)
		}
		return strings.Fields(string(out))
	}
	// The typed clientset itself, not its scheme package, which Helm's
	// engine links.
	const clientset = "k8s.io/client-go/kubernetes"
	banned := []string{
		clientset,
		"sigs.k8s.io/controller-runtime",
		"k8s.io/client-go/kubernetes/typed",
		"k8s.io/client-go/informers",
		"k8s.io/client-go/tools/cache",
		"k8s.io/client-go/listers",
		"github.com/prometheus/prometheus/promql",
		"github.com/prometheus/prometheus/tsdb",
		"github.com/gitcanary/gitcanary/fixtures",
	}
	image := list("nodemo")
	for _, pkg := range image {
		for _, b := range banned {
			if pkg == b || strings.HasPrefix(pkg, b+"/") && b != clientset {
				t.Errorf("the image's binary links %s", pkg)
			}
		}
	}
	// The default build keeps the demo: `make demo` runs it.
	if full := list(""); !slices.Contains(full, "github.com/gitcanary/gitcanary/fixtures/demo") {
		t.Errorf("the default build lost the demo: fixtures/demo is not linked")
	}
}
