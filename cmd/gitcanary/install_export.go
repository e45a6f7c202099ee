package main

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// installFiles are the manifests `install --export` builds: a base and
// optional components, each a kustomization.
//
//go:embed install
var installFiles embed.FS

// Where the pod mounts the Secrets it is given.
const (
	gitSecretDir     = "/etc/gitcanary/git"
	webhookSecretDir = "/etc/gitcanary/webhook"
	githubSecretDir  = "/etc/gitcanary/github"
	workdirPath      = "/var/lib/gitcanary"
	listenAddr       = ":8080"
)

// releaseVersion is a released module version.
var releaseVersion = regexp.MustCompile(`^v\d+\.\d+\.\d+`)

// dnsLabel is what a namespace or Secret name must be.
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// validate checks the options of the component manifests.
func (o installOptions) validate() error {
	var errs []error
	if o.Repo == "" {
		errs = append(errs, errors.New("--repo is required: the URL of the config repository gitcanary reconciles"))
	} else if _, err := repoTransport(o.Repo); err != nil {
		errs = append(errs, err)
	}
	for _, n := range []struct{ flag, value string }{
		{"--namespace", o.Namespace}, {"--git-secret", o.GitSecret},
		{"--webhook-secret", o.WebhookSecret}, {"--github-token-secret", o.GitHubSecret},
	} {
		if (n.value != "" || n.flag == "--namespace") && !dnsLabel.MatchString(n.value) {
			errs = append(errs, fmt.Errorf("%s: %q is not a Kubernetes name (lower-case letters, digits and '-', at most 63)", n.flag, n.value))
		}
	}
	if o.Branch == "" {
		errs = append(errs, errors.New("--branch must not be empty"))
	}
	if o.Image == "" || strings.ContainsAny(o.Image, " \t\n") {
		errs = append(errs, fmt.Errorf("--image: %q is not an image reference", o.Image))
	}
	if o.Shards < 1 {
		errs = append(errs, fmt.Errorf("--shards must be at least 1, got %d", o.Shards))
	}
	if o.Interval.Seconds() < 1 {
		errs = append(errs, fmt.Errorf("--interval must be at least 1s, got %s", o.Interval))
	}
	return errors.Join(errs...)
}

// repoTransport returns how gitcanary reaches url: "ssh", "https" (also
// plain http) or "file". A URL carrying a password or token is refused:
// the manifests would hold it in clear.
func repoTransport(url string) (string, error) {
	ep, err := transport.NewEndpoint(url)
	if err != nil {
		return "", fmt.Errorf("--repo: %q is not a Git URL", url)
	}
	if ep.Password != "" || (ep.Protocol != "ssh" && ep.User != "") {
		return "", errors.New("--repo: the URL carries credentials; put them in the --git-secret Secret instead, the manifests are not secret")
	}
	switch ep.Protocol {
	case "ssh":
		return "ssh", nil
	case "http", "https":
		return "https", nil
	case "file":
		return "file", nil
	}
	return "", fmt.Errorf("--repo: unsupported protocol %q in %q (want ssh, https or a path)", ep.Protocol, url)
}

// runArgs are the arguments of the container: `gitcanary run` with the
// options, the mounted Secrets' files and, for a shard, its ordinal taken
// from the pod's name.
func (o installOptions) runArgs() ([]string, error) {
	tr, err := repoTransport(o.Repo)
	if err != nil {
		return nil, err
	}
	args := []string{"run", "--repo=" + o.Repo, "--branch=" + o.Branch}
	if o.Path != "" {
		args = append(args, "--path="+o.Path)
	}
	args = append(args, "--prometheus="+o.Prometheus)
	if o.Provider != "" {
		args = append(args, "--provider="+o.Provider)
	}
	args = append(args, "--interval="+o.Interval.String(), "--listen="+listenAddr, "--workdir="+workdirPath)
	switch tr {
	case "ssh":
		args = append(args, "--ssh-key-file="+gitSecretDir+"/identity", "--ssh-known-hosts="+gitSecretDir+"/known_hosts")
	case "https":
		args = append(args, "--git-token-file="+gitSecretDir+"/password")
	}
	if o.WebhookSecret != "" {
		args = append(args, "--webhook-secret-file="+webhookSecretDir+"/token")
	}
	if o.GitHubSecret != "" {
		args = append(args, "--github-token-file="+githubSecretDir+"/token")
	}
	if o.UIURL != "" {
		args = append(args, "--ui-url="+o.UIURL)
	}
	if o.Shards > 1 {
		// Kubernetes expands $(POD_NAME): gitcanary-2/3; run takes the
		// ordinal at the end of the pod's name.
		args = append(args, fmt.Sprintf("--shard=$(POD_NAME)/%d", o.Shards))
	}
	return args, nil
}

// jsonPatch is one RFC 6902 operation.
type jsonPatch struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// workloadPatch sets the container's arguments, the replicas and the
// Secret volumes on the workload.
func (o installOptions) workloadPatch() ([]jsonPatch, error) {
	args, err := o.runArgs()
	if err != nil {
		return nil, err
	}
	const pod = "/spec/template/spec"
	ops := []jsonPatch{
		{Op: "replace", Path: pod + "/containers/0/args", Value: args},
		{Op: "replace", Path: "/spec/replicas", Value: o.Shards},
	}
	tr, _ := repoTransport(o.Repo)
	for _, s := range []struct {
		use          bool
		volume, name string
		dir          string
	}{
		{tr != "file", "git", o.GitSecret, gitSecretDir},
		{o.WebhookSecret != "", "webhook", o.WebhookSecret, webhookSecretDir},
		{o.GitHubSecret != "", "github", o.GitHubSecret, githubSecretDir},
	} {
		if !s.use {
			continue
		}
		ops = append(ops,
			jsonPatch{Op: "add", Path: pod + "/volumes/-", Value: map[string]any{
				"name": s.volume, "secret": map[string]any{"secretName": s.name, "defaultMode": 0o440}}},
			jsonPatch{Op: "add", Path: pod + "/containers/0/volumeMounts/-", Value: map[string]any{
				"name": s.volume, "mountPath": s.dir, "readOnly": true}})
	}
	return ops, nil
}

// overlay is the kustomization that `install --export` builds over the
// embedded base and components.
func (o installOptions) overlay() (map[string]any, error) {
	ops, err := o.workloadPatch()
	if err != nil {
		return nil, err
	}
	patch, err := yaml.Marshal(ops)
	if err != nil {
		return nil, err
	}
	var components []string
	if o.Shards > 1 {
		components = append(components, "components/shards")
	}
	for _, c := range []struct {
		on   bool
		name string
	}{{o.ServiceMonitor, "servicemonitor"}, {o.Dashboard, "dashboard"}, {o.Alerts, "alerts"}} {
		if c.on {
			components = append(components, "components/"+c.name)
		}
	}
	k := map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
		"namespace":  o.Namespace,
		"resources":  []string{"base"},
		"labels": []map[string]any{{"pairs": map[string]string{
			"app.kubernetes.io/name": "gitcanary", "app.kubernetes.io/part-of": "gitcanary"}}},
		"images": []map[string]string{imageOverride(o.Image)},
		"patches": []map[string]any{{
			"target": map[string]string{"group": "apps", "name": "gitcanary"},
			"patch":  string(patch),
		}},
	}
	if len(components) > 0 {
		k["components"] = components
	}
	return k, nil
}

// imageOverride is the kustomization images entry that sets the base's
// image to ref (NAME:TAG or NAME@DIGEST).
func imageOverride(ref string) map[string]string {
	img := map[string]string{"name": defaultImage}
	name, digest, ok := strings.Cut(ref, "@")
	if ok {
		img["newName"], img["digest"] = name, digest
		return img
	}
	// A tag is after the last ':' that follows the last '/' (a registry
	// may have a port).
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		img["newName"], img["newTag"] = ref[:i], ref[i+1:]
		return img
	}
	img["newName"] = ref
	return img
}

// exportInstall builds the manifests with kustomize, as `kustomize build`
// would from the embedded files and the overlay the options make.
func exportInstall(o installOptions) ([]byte, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	k, err := o.overlay()
	if err != nil {
		return nil, err
	}
	return buildEmbedded(k)
}

// exportFluxKustomization prints the Flux Kustomization that applies the
// manifests committed at o.FluxPath and waits for gitcanary to be ready.
func exportFluxKustomization(o installOptions) ([]byte, error) {
	kind, name, ok := strings.Cut(o.FluxSource, "/")
	if !ok || kind == "" || !dnsLabel.MatchString(name) {
		return nil, fmt.Errorf("--flux-source: want KIND/NAME (GitRepository/flux-system), got %q", o.FluxSource)
	}
	if !dnsLabel.MatchString(o.Namespace) {
		return nil, fmt.Errorf("--namespace: %q is not a Kubernetes name", o.Namespace)
	}
	workload := "Deployment"
	if o.Shards > 1 {
		workload = "StatefulSet"
	}
	ops := []jsonPatch{
		{Op: "replace", Path: "/spec/path", Value: "./" + strings.TrimPrefix(path.Clean("/"+o.FluxPath), "/")},
		{Op: "replace", Path: "/spec/sourceRef", Value: map[string]string{"kind": kind, "name": name}},
		{Op: "replace", Path: "/spec/healthChecks/0", Value: map[string]string{
			"apiVersion": "apps/v1", "kind": workload, "name": "gitcanary", "namespace": o.Namespace}},
	}
	patch, err := yaml.Marshal(ops)
	if err != nil {
		return nil, err
	}
	return buildEmbedded(map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
		"resources":  []string{"flux"},
		"patches": []map[string]any{{
			"target": map[string]string{"kind": "Kustomization", "name": "gitcanary"},
			"patch":  string(patch),
		}},
	})
}

// buildEmbedded runs kustomize over the embedded files with kustomization
// k at their root.
func buildEmbedded(k map[string]any) ([]byte, error) {
	const root = "/install"
	mem := filesys.MakeFsInMemory()
	err := fs.WalkDir(installFiles, "install", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := installFiles.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile("/"+p, b)
	})
	if err != nil {
		return nil, fmt.Errorf("read the embedded manifests: %w", err)
	}
	overlay, err := yaml.Marshal(k)
	if err != nil {
		return nil, err
	}
	if err := mem.WriteFile(root+"/kustomization.yaml", overlay); err != nil {
		return nil, err
	}
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, root)
	if err != nil {
		return nil, fmt.Errorf("kustomize build of the install manifests: %w", err)
	}
	return res.AsYaml()
}

// imageTag is the image tag of a gitcanary version: the release (v1.2.3)
// or, for a development build, latest.
func imageTag(version string) string {
	v, _, _ := strings.Cut(version, " ")
	if releaseVersion.MatchString(v) {
		return v
	}
	return "latest"
}
