package reconciler

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// bigMapping is a YAML mapping of n keys at the given indentation.
func bigMapping(n int, indent string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%sk%d: v\n", indent, i)
	}
	return b.String()
}

// Every document the scan reads, whatever its kind, is decoded within
// api's limits: a MetricTemplate, an AlertProvider or a Flux Kustomization
// of 60,000 keys (yaml.v3 compared each key with every other one, for
// minutes, while the pass waited) is refused naming its file, and a
// ConfigMap of that size is passed over (the render refuses it where it is
// used).
func TestScanBoundsEveryDocument(t *testing.T) {
	t.Parallel()
	const keys = 110000 // beyond api.MaxNodes
	files := map[string]string{
		"apps/bad/template.yaml": "apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata:\n  name: t\n  namespace: bad\nspec:\n  provider:\n    type: prometheus\n  query: up\n  extra:\n" + bigMapping(keys, "    "),
		"apps/bad/alerts.yaml":   "apiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata:\n  name: a\n  namespace: bad\nspec:\n  type: slack\n  extra:\n" + bigMapping(keys, "    "),
		"clusters/bad.yaml":      "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: bad\n  namespace: flux-system\nspec:\n  path: ./apps/bad\n  postBuild:\n    substitute:\n" + bigMapping(keys, "      "),
		"apps/bad/config.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: bad\ndata:\n" + bigMapping(keys, "  "),
	}
	tr := &dirTree{files: map[string][]byte{}}
	for p, s := range files {
		tr.files[p] = []byte(s)
	}
	sc := newScanner("", "istio")
	_, _, errs := sc.scan(tr)
	refused := map[string]bool{}
	for _, err := range errs {
		for _, e := range errList(err) {
			if !errors.Is(e, api.ErrTooLarge) {
				t.Errorf("not ErrTooLarge: %v", e)
			}
			path, _, _ := strings.Cut(e.Error(), ":")
			refused[path] = true
		}
	}
	for _, p := range []string{"apps/bad/template.yaml", "apps/bad/alerts.yaml", "clusters/bad.yaml"} {
		if !refused[p] {
			t.Errorf("%s was not refused; errors: %v", p, errs)
		}
	}
	if refused["apps/bad/config.yaml"] {
		t.Errorf("a ConfigMap no canary uses is an error: %v", errs)
	}
}

// A file that is not YAML is reported once, not once per parser that looks
// for a kind it names.
func TestScanReportsAFileOnce(t *testing.T) {
	t.Parallel()
	junk := "\x80\x81 Canary MetricTemplate AlertProvider kustomize.toolkit.fluxcd.io/v1 ConfigMap\n"
	tr := &dirTree{files: map[string][]byte{"apps/x/junk.yaml": []byte(junk)}}
	_, _, errs := newScanner("", "istio").scan(tr)
	var got []string
	for _, err := range errs {
		for _, e := range errList(err) {
			got = append(got, e.Error())
		}
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "apps/x/junk.yaml: document 1: invalid YAML") {
		t.Errorf("errors: %q, want one naming the file", got)
	}
}

// A file too large to read is that file's error, and the scan goes on to
// the files after it: the error of one file stopped the whole scan, and no
// canary was served.
func TestScanGoesOnPastAFileTooLarge(t *testing.T) {
	t.Parallel()
	tr := &dirTree{
		files: map[string][]byte{"apps/x/config.yaml": []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vars\ndata:\n  a: b\n")},
		large: map[string]int64{"apps/huge/notes.yaml": 5 << 30},
	}
	sc := newScanner("", "istio")
	_, _, errs := sc.scan(tr)
	want := "apps/huge/notes.yaml: beyond the render limits: 5368709120 bytes, more than 67108864"
	if len(errs) != 1 || !errors.Is(errs[0], gitops.ErrTooLarge) || errs[0].Error() != want {
		t.Fatalf("errors %v, want %s", errs, want)
	}
	if len(sc.cache) != 1 {
		t.Errorf("the scan stopped at the large file: %d files read after it, want 1", len(sc.cache))
	}
}
