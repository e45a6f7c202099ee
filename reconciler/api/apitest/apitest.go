// Package apitest builds the Canary that tests of gitcanary's packages run
// on: a Flagger Canary for the Deployment podinfo in namespace test, as in
// Flagger's tutorials, with the analysis each test needs.
package apitest

import (
	"testing"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Path is the file the test Canary is read from.
const Path = "apps/podinfo/canary.yaml"

// Head is the Canary document up to and including "  analysis:"; what a
// test appends are the analysis fields (indented four spaces) and, after
// them, any other spec fields (indented two).
const Head = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: test
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  service:
    port: 9898
  analysis:
`

// Canary parses Head followed by rest, with provider istio, failing the
// test when the document is not exactly one valid Canary.
func Canary(t testing.TB, rest string) *api.Canary {
	t.Helper()
	cs, err := api.ParseCanaries(Path, []byte(Head+rest), api.DefaultProvider)
	if err != nil {
		t.Fatalf("test canary: %v", err)
	}
	if len(cs) != 1 {
		t.Fatalf("test canary: want 1, got %d", len(cs))
	}
	return cs[0]
}
