package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitcanary runs the CLI in-process and returns its output and error.
func gitcanary(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// sampleRepo copies the sample config repository to a temporary directory.
func sampleRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../fixtures/config-repo")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func edit(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s lacks %q", file, old)
	}
	if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	const canary = "apps/podinfo/canary.yaml"
	const kust = "apps/podinfo/kustomization.yaml"
	tests := []struct {
		name           string
		file, old, new string
		want           string
	}{
		{"valid", "", "", "", "1 canaries valid"},
		{"unknown provider", canary, "provider: istio", "provider: isito",
			`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.provider: unknown provider "isito" (known: istio`},
		{"provider not supported yet", canary, "provider: istio", "provider: knative",
			`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.provider: not supported yet: knative (`},
		{"field the provider needs", canary, "provider: istio", "provider: nginx",
			`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.ingressRef: is required with provider nginx: the Ingress the router copies`},
		{"stepWeight zero", canary, "stepWeight: 10", "stepWeight: 0",
			"apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.stepWeight: is required for a canary release"},
		{"stepWeight above 100", canary, "stepWeight: 10", "stepWeight: 120",
			"apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.stepWeight: must be between 1 and 100, got 120"},
		{"missing target", canary, "name: podinfo\n  service", "name: podinfo-nope\n  service",
			"apps/podinfo/canary.yaml: document 1: spec.targetRef: Deployment test/podinfo-nope not found in the rendered output of apps/podinfo"},
		{"canary in resources", kust, "  - configmap.yaml\n", "  - configmap.yaml\n  - canary.yaml\n",
			"apps/podinfo/kustomization.yaml: resources: renders Canary test/podinfo"},
		{"yaml syntax", canary, "  service:\n", "  service:\n   port: [\n",
			"apps/podinfo/canary.yaml: document 1: invalid YAML"},
		{"images entry for the target", kust, "namespace: test\n", "namespace: test\nimages:\n  - name: ghcr.io/stefanprodan/podinfo\n    newTag: 6.0.1\n",
			`apps/podinfo/kustomization.yaml: images[0]: "ghcr.io/stefanprodan/podinfo" also rewrites the generated podinfo-primary`},
		{"kustomization does not build", kust, "  - configmap.yaml\n", "  - configmap.yaml\n  - missing.yaml\n",
			"render apps/podinfo: accumulating resources: accumulation err='accumulating resources from 'missing.yaml'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := sampleRepo(t)
			if tt.file != "" {
				edit(t, dir, tt.file, tt.old, tt.new)
			}
			out, err := gitcanary(t, "validate", dir)
			if (err == nil) != (tt.file == "") {
				t.Fatalf("exit error %v, output:\n%s", err, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

func TestRunOnceKeepsServingHealthyCanaries(t *testing.T) {
	t.Parallel()
	dir := sampleRepo(t)
	// A second app whose Canary is invalid.
	broken := filepath.Join(dir, "apps", "broken")
	if err := os.CopyFS(broken, os.DirFS(filepath.Join(dir, "apps", "podinfo"))); err != nil {
		t.Fatal(err)
	}
	edit(t, dir, "apps/broken/canary.yaml", "name: podinfo\n  namespace: test", "name: broken\n  namespace: test")
	edit(t, dir, "apps/broken/canary.yaml", "stepWeight: 10", "stepWeight: -5")
	edit(t, dir, "apps/broken/kustomization.yaml", "namespace: test", "namespace: other")
	remote := filepath.Join(t.TempDir(), "remote.git")
	git(t, "", "init", "-q", "--bare", "-b", "main", remote)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "apps")
	git(t, dir, "push", "-q", remote, "main")

	out, err := gitcanary(t, "run", "--repo", "file://"+remote, "--once")
	if err == nil || !strings.Contains(err.Error(), "some canaries could not be reconciled") {
		t.Fatalf("run --once with a bad canary must fail, got %v\n%s", err, out)
	}
	log := git(t, "", "--git-dir", remote, "log", "--format=%s", "main")
	if !strings.HasPrefix(log, "Initialization done! podinfo.test\n") {
		t.Errorf("the healthy canary was not served:\n%s", log)
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := gitExec(dir, args...)
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return out
}

// gitExec runs the git CLI in dir with a fixed identity.
func gitExec(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=ci", "GIT_AUTHOR_EMAIL=ci@example.com", "GIT_COMMITTER_NAME=ci", "GIT_COMMITTER_EMAIL=ci@example.com")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestRequestCommands(t *testing.T) {
	t.Parallel()
	dir := sampleRepo(t)
	remote := filepath.Join(t.TempDir(), "remote.git")
	git(t, "", "init", "-q", "--bare", "-b", "main", remote)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "apps")
	git(t, dir, "push", "-q", remote, "main")
	if out, err := gitcanary(t, "run", "--repo", remote, "--once"); err != nil {
		t.Fatal(err, out)
	}
	// From a clone: its origin is the repository, its git config says who.
	clone := filepath.Join(t.TempDir(), "clone")
	git(t, "", "clone", "-q", remote, clone)
	git(t, clone, "config", "user.name", "Ops Person")
	git(t, clone, "config", "user.email", "ops@example.com")
	out, err := gitcanary(t, "pause", "podinfo", "-n", "test", "--dir", clone)
	if err != nil || !strings.Contains(out, "pause requested for canary podinfo") {
		t.Fatalf("pause: %v\n%s", err, out)
	}
	if got := git(t, "", "--git-dir", remote, "log", "-1", "--format=%an <%ae>: %s", "main"); got != "Ops Person <ops@example.com>: Pause podinfo.test requested by Ops Person\n" {
		t.Errorf("request commit: %q", got)
	}
	if _, err := gitcanary(t, "resume", "podinfo", "--repo", remote, "--author", "Jane Doe <jane@example.com>"); err != nil {
		t.Fatal(err)
	}
	if got := git(t, "", "--git-dir", remote, "log", "-1", "--format=%an: %s", "main"); got != "Jane Doe: Resume podinfo.test requested by Jane Doe\n" {
		t.Errorf("request commit: %q", got)
	}
	if _, err := gitcanary(t, "promote", "nope", "--repo", remote, "--author", "Jane Doe <jane@example.com>"); err == nil || !strings.Contains(err.Error(), "canary nope not found") {
		t.Errorf("unknown canary: %v", err)
	}
	if _, err := gitcanary(t, "abort", "podinfo", "--repo", remote, "--author", "jane"); err == nil || !strings.Contains(err.Error(), "--author must be") {
		t.Errorf("bad author: %v", err)
	}
}
