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
		ok             bool // exit 0
	}{
		{"valid", "", "", "", "1 canary valid\n", true},
		{"unknown provider", canary, "provider: istio", "provider: isito",
			`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.provider: unknown provider "isito" (known: istio`, false},
		{"provider not supported yet", canary, "provider: istio", "provider: knative",
			`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.provider: not supported yet: knative (`, false},
		{"field the provider needs", canary, "provider: istio", "provider: nginx",
			`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.ingressRef: is required with provider nginx: the Ingress the router copies`, false},
		{"stepWeight zero", canary, "stepWeight: 10", "stepWeight: 0",
			"apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.stepWeight: is required for a canary release", false},
		{"stepWeight above 100", canary, "stepWeight: 10", "stepWeight: 120",
			"apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.stepWeight: must be between 1 and 100, got 120", false},
		{"missing target", canary, "name: podinfo\n  service", "name: podinfo-nope\n  service",
			"apps/podinfo/canary.yaml: document 1: spec.targetRef: Deployment test/podinfo-nope not found in the rendered output of apps/podinfo", false},
		{"canary in resources", kust, "  - configmap.yaml\n", "  - configmap.yaml\n  - canary.yaml\n",
			`apps/podinfo/kustomization.yaml: resources[2] "canary.yaml" renders Canary test/podinfo: remove it from resources`, false},
		{"yaml syntax", canary, "  service:\n", "  service:\n   port: [\n",
			"apps/podinfo/canary.yaml: document 1: invalid YAML", false},
		{"yaml syntax gives the line of the file", canary, "    port: 9898\n", "    port: 9898\n   bad: x\n",
			"apps/podinfo/canary.yaml: document 1: invalid YAML: line 14: did not find expected key", false},
		{"images entry for the target is where CI may release", kust, "namespace: test\n", "namespace: test\nimages:\n  - name: ghcr.io/stefanprodan/podinfo\n    newTag: 6.0.1\n",
			"1 canary valid\n", true},
		{"kustomization does not build", kust, "  - configmap.yaml\n", "  - configmap.yaml\n  - missing.yaml\n",
			"render apps/podinfo: accumulating resources: accumulation err='accumulating resources from 'missing.yaml'", false},
		{"name is a path", canary, "name: podinfo\n  namespace", "name: ../../../clusters/demo\n  namespace",
			`apps/podinfo/canary.yaml: document 1 (Canary "test/../../../clusters/demo"): metadata.name: must be a DNS-1123 label`, false},
		{"namespace with a newline", canary, "namespace: test", `namespace: "test\nimages: [{name: x, newName: evil.example.com/x}]"`,
			`metadata.namespace: must be a DNS-1123 label (at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit), got "test\nimages: [{name: x, newName: evil.example.com/x}]"`, false},
		{"negative progressDeadlineSeconds", canary, "  provider: istio\n", "  provider: istio\n  progressDeadlineSeconds: -1\n",
			"(Canary test/podinfo): spec.progressDeadlineSeconds: must be at least 1, got -1", false},
		{"negative sync gate timeout", canary, "  provider: istio\n", "  provider: istio\n  gitops:\n    syncGate:\n      type: commitStatus\n      context: kustomization/apps\n      timeout: -1m\n",
			"(Canary test/podinfo): spec.gitops.syncGate.timeout: must not be negative, got -1m", false},
		{"NaN threshold", canary, "min: 99", "min: .nan",
			"apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.metrics[0].thresholdRange.min: .nan is not a finite number", false},
		{"duration names its field", canary, "interval: 10s", "interval: 1 minute",
			`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.interval: invalid duration "1 minute"`, false},
		{"missing MetricTemplate", canary, "    metrics:\n", "    metrics:\n      - name: latency\n        templateRef:\n          name: latency\n        thresholdRange:\n          max: 500\n",
			"apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.metrics[0].templateRef: MetricTemplate test/latency not found in the repository", false},
		{"missing AlertProvider", canary, "    metrics:\n", "    alerts:\n      - name: on-call\n        severity: error\n        providerRef:\n          name: on-call\n    metrics:\n",
			"apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.alerts[0].providerRef: AlertProvider test/on-call not found in the repository", false},
		{"unknown field is a warning", canary, "    maxWeight: 50\n", "    maxWeight: 50\n    maxWieght: 60\n",
			"warning: apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.maxWieght: unknown field, ignored (did you mean maxWeight?)\n1 canary valid, 1 warning\n", true},
		{"unsupported field is a warning", canary, "    port: 9898\n", "    port: 9898\n    headless: true\n",
			"warning: apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.service.headless: not supported, ignored: the generated Services always get a cluster IP\n1 canary valid, 1 warning\n", true},
		{"revertOnDeletion is no warning", canary, "  provider: istio\n", "  provider: istio\n  revertOnDeletion: true\n",
			"1 canary valid\n", true},
		{"mirroring an A/B test is refused", canary, "    maxWeight: 50\n", "    iterations: 5\n    match:\n      - headers:\n          x-canary:\n            exact: insider\n    mirror: true\n",
			"spec.analysis.mirror: an A/B test (analysis.match with iterations) routes the matching requests to the canary, it does not mirror", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := sampleRepo(t)
			if tt.file != "" {
				edit(t, dir, tt.file, tt.old, tt.new)
			}
			out, err := gitcanary(t, "validate", dir)
			if (err == nil) != tt.ok {
				t.Fatalf("exit error %v, output:\n%s", err, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

func TestValidateStrict(t *testing.T) {
	t.Parallel()
	dir := sampleRepo(t)
	edit(t, dir, "apps/podinfo/canary.yaml", "    maxWeight: 50\n", "    maxWeight: 50\n    stepWieght: 20\n")
	out, err := gitcanary(t, "validate", "--strict", dir)
	want := "apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.stepWieght: unknown field, ignored (did you mean stepWeight?)\n"
	if err == nil || err.Error() != "1 problem in 1 canary" || out != want {
		t.Fatalf("validate --strict: %v\n%s", err, out)
	}
}

func TestValidateConflictingCanaries(t *testing.T) {
	t.Parallel()
	dir := sampleRepo(t)
	if err := os.CopyFS(filepath.Join(dir, "apps", "podinfo-copy"), os.DirFS(filepath.Join(dir, "apps", "podinfo"))); err != nil {
		t.Fatal(err)
	}
	out, err := gitcanary(t, "validate", dir)
	if err == nil || err.Error() != "2 problems in 2 canaries" {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	for _, want := range []string{
		"apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): metadata.name: conflict, canary refused: Canary test/podinfo is also defined in apps/podinfo-copy/canary.yaml: document 1",
		"apps/podinfo-copy/canary.yaml: document 1 (Canary test/podinfo): metadata.name: conflict, canary refused: Canary test/podinfo is also defined in apps/podinfo/canary.yaml: document 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestValidateWhatItIsGiven(t *testing.T) {
	t.Parallel()
	dir := sampleRepo(t)
	link := filepath.Join(t.TempDir(), "checkout")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if out, err := gitcanary(t, "validate", link); err != nil || out != "1 canary valid\n" {
		t.Errorf("a symlink to the checkout: %v\n%s", err, out)
	}
	file := filepath.Join(dir, "apps/podinfo/canary.yaml")
	if out, err := gitcanary(t, "validate", file); err == nil || err.Error() != file+" is a file: give the directory of a checked-out config repository" {
		t.Errorf("a file: %v\n%s", err, out)
	}
	empty := t.TempDir()
	if out, err := gitcanary(t, "validate", empty); err == nil || err.Error() != "no Canary documents found in "+empty+" (--allow-empty accepts a repository without canaries)" || out != "" {
		t.Errorf("no canaries: %v\n%s", err, out)
	}
	if out, err := gitcanary(t, "validate", "--allow-empty", empty); err != nil || out != "0 canaries valid\n" {
		t.Errorf("--allow-empty: %v\n%s", err, out)
	}
	if out, err := gitcanary(t, "validate", filepath.Join(empty, "nope")); err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("a missing directory: %v\n%s", err, out)
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
	remote := pushRepo(t, dir, "apps")

	out, err := gitcanary(t, "run", "--repo", "file://"+remote, "--once")
	if err == nil || !strings.Contains(err.Error(), "some canaries could not be reconciled") {
		t.Fatalf("run --once with a bad canary must fail, got %v\n%s", err, out)
	}
	log := git(t, "", "--git-dir", remote, "log", "--format=%s", "main")
	if !strings.HasPrefix(log, "Initialization done! podinfo.test\n") {
		t.Errorf("the healthy canary was not served:\n%s", log)
	}
}

// pushRepo makes dir a Git repository of one commit and pushes it to a new
// bare repository, the config repository as a Git server holds it, whose
// path it returns.
func pushRepo(t *testing.T, dir, msg string) string {
	t.Helper()
	remote := filepath.Join(t.TempDir(), "remote.git")
	git(t, "", "init", "-q", "--bare", "-b", "main", remote)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", msg)
	git(t, dir, "push", "-q", remote, "main")
	return remote
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
	remote := pushRepo(t, dir, "apps")
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
	// A second request before a pass is queued after the first, not in
	// its place.
	out, err = gitcanary(t, "resume", "podinfo", "--repo", remote, "--author", "Jane Doe <jane@example.com>")
	if err != nil || !strings.HasSuffix(out, "; 2 requests pending: passes of gitcanary run honour them in order, one each\n") {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	if got := git(t, "", "--git-dir", remote, "log", "-1", "--format=%an: %s", "main"); got != "Jane Doe: Resume podinfo.test requested by Jane Doe\n" {
		t.Errorf("request commit: %q", got)
	}
	queue := git(t, "", "--git-dir", remote, "show", "main:apps/podinfo/gitcanary/podinfo/request.yaml")
	if !strings.Contains(queue, "  - action: pause\n    requestedBy: Ops Person <ops@example.com>\n") || !strings.Contains(queue, "  - action: resume\n    requestedBy: Jane Doe <jane@example.com>\n") ||
		strings.Index(queue, "action: pause") > strings.Index(queue, "action: resume") {
		t.Errorf("request.yaml:\n%s", queue)
	}
	if _, err := gitcanary(t, "promote", "nope", "--repo", remote, "--author", "Jane Doe <jane@example.com>"); err == nil || !strings.Contains(err.Error(), "canary nope not found") {
		t.Errorf("unknown canary: %v", err)
	}
	if _, err := gitcanary(t, "abort", "podinfo", "--repo", remote, "--author", "jane"); err == nil || !strings.Contains(err.Error(), "--author must be") {
		t.Errorf("bad author: %v", err)
	}
}
