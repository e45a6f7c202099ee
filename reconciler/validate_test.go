package reconciler

import (
	"os"
	"path/filepath"
	"testing"
)

// Each problem of a canary's files is one problem of validate's, each on
// its own line, rather than one problem holding several lines.
func TestValidateReportsEachProblemOnItsOwn(t *testing.T) {
	t.Parallel()
	status := "apiVersion: gitcanary.dev/v1beta1\nkind: CanaryStatus\nmetadata:\n  name: podinfo\n  namespace: test\nstatus:\n  phase: Progressing\n  canaryWeight: 250\n  failedChecks: -1\n"
	dir := fixtureWith(t, gen+"status.yaml", status)
	problems, _, err := Validate(dir, "istio")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"canary podinfo.test: apps/podinfo/gitcanary/podinfo/status.yaml: status.canaryWeight: must be between 0 and 100, got 250",
		"canary podinfo.test: apps/podinfo/gitcanary/podinfo/status.yaml: status.failedChecks: must not be negative, got -1",
	}
	if len(problems) != len(want) {
		t.Fatalf("problems: %q, want %q", problems, want)
	}
	for i, p := range problems {
		if p.Error() != want[i] {
			t.Errorf("problem %d: %q, want %q", i, p, want[i])
		}
	}
}

// fixtureWith is a copy of the fixture repository with one more file.
func fixtureWith(t *testing.T, file, data string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(file))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
