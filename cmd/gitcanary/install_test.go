package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	monv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// installCases are the exports the tests check: the defaults over SSH, and
// every option at once over HTTPS with shards.
var installCases = []struct {
	name string
	args []string
}{
	{"default", []string{"--repo", "ssh://git@github.com/acme/fleet.git"}},
	{"sharded", []string{"--repo", "https://gitlab.example.com/acme/fleet.git", "--branch", "prod", "--path", "apps",
		"-n", "flux-system", "--image", "registry.example.com:5000/gitcanary@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"--prometheus", "http://prometheus-operated.monitoring:9090", "--provider", "gatewayapi:v1", "--interval", "30s",
		"--git-secret", "fleet-auth", "--webhook-secret", "fleet-hook", "--github-token-secret", "github",
		"--ui-url", "https://gitcanary.example.com", "--shards", "3", "--servicemonitor", "--dashboard", "--alerts"}},
}

// TestInstallExportGolden compares the exports with testdata/install-*.yaml
// (go test -run TestInstallExportGolden -update rewrites them).
func TestInstallExportGolden(t *testing.T) {
	for _, c := range installCases {
		t.Run(c.name, func(t *testing.T) {
			out, err := gitcanary(t, append([]string{"install", "--export"}, c.args...)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			golden := filepath.Join("testdata", "install-"+c.name+".yaml")
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if out != string(want) {
				t.Errorf("install --export %s differs from %s (-update rewrites it):\n%s", strings.Join(c.args, " "), golden, out)
			}
		})
	}
}

// installed is an export decoded strictly into the API types.
type installed struct {
	namespaces      []corev1.Namespace
	serviceAccounts []corev1.ServiceAccount
	deployments     []appsv1.Deployment
	statefulSets    []appsv1.StatefulSet
	services        []corev1.Service
	configMaps      []corev1.ConfigMap
	serviceMonitors []monv1.ServiceMonitor
	rules           []monv1.PrometheusRule
	kustomizations  []kustomizev1.Kustomization
}

// decodeStrict decodes each document of a YAML stream into its API type,
// refusing unknown kinds and unknown fields (a typo in a manifest).
func decodeStrict(t *testing.T, stream string) installed {
	t.Helper()
	var in installed
	for i, doc := range strings.Split(stream, "\n---\n") {
		var meta struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("document %d: %v", i+1, err)
		}
		var err error
		switch meta.APIVersion + " " + meta.Kind {
		case "v1 Namespace":
			err = decodeInto([]byte(doc), &in.namespaces)
		case "v1 ServiceAccount":
			err = decodeInto([]byte(doc), &in.serviceAccounts)
		case "apps/v1 Deployment":
			err = decodeInto([]byte(doc), &in.deployments)
		case "apps/v1 StatefulSet":
			err = decodeInto([]byte(doc), &in.statefulSets)
		case "v1 Service":
			err = decodeInto([]byte(doc), &in.services)
		case "v1 ConfigMap":
			err = decodeInto([]byte(doc), &in.configMaps)
		case "monitoring.coreos.com/v1 ServiceMonitor":
			err = decodeInto([]byte(doc), &in.serviceMonitors)
		case "monitoring.coreos.com/v1 PrometheusRule":
			err = decodeInto([]byte(doc), &in.rules)
		case "kustomize.toolkit.fluxcd.io/v1 Kustomization":
			err = decodeInto([]byte(doc), &in.kustomizations)
		default:
			t.Fatalf("document %d: unexpected %s %s", i+1, meta.APIVersion, meta.Kind)
		}
		if err != nil {
			t.Fatalf("document %d (%s): %v", i+1, meta.Kind, err)
		}
	}
	return in
}

// decodeInto decodes doc strictly into a T and appends it to list.
func decodeInto[T any](doc []byte, list *[]T) error {
	var obj T
	if err := yaml.UnmarshalStrict(doc, &obj); err != nil {
		return err
	}
	*list = append(*list, obj)
	return nil
}

// TestInstallExportObjects decodes the exports into the Kubernetes,
// Prometheus Operator and Flux types and checks what the cluster would run.
func TestInstallExportObjects(t *testing.T) {
	for _, c := range installCases {
		t.Run(c.name, func(t *testing.T) {
			out, err := gitcanary(t, append([]string{"install", "--export"}, c.args...)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			in := decodeStrict(t, out)
			sharded := slices.Contains(c.args, "--shards")
			ns := "gitcanary-system"
			if sharded {
				ns = "flux-system"
			}
			if len(in.namespaces) != 1 || in.namespaces[0].Name != ns {
				t.Fatalf("want one Namespace %s, got %+v", ns, in.namespaces)
			}
			if len(in.serviceAccounts) != 1 || in.serviceAccounts[0].AutomountServiceAccountToken == nil || *in.serviceAccounts[0].AutomountServiceAccountToken {
				t.Errorf("want one ServiceAccount without a token: %+v", in.serviceAccounts)
			}

			var pod corev1.PodTemplateSpec
			switch {
			case sharded && len(in.statefulSets) == 1 && len(in.deployments) == 0:
				sts := in.statefulSets[0]
				pod = sts.Spec.Template
				if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 3 || sts.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
					t.Errorf("StatefulSet: replicas %v, policy %q; want 3, Parallel", sts.Spec.Replicas, sts.Spec.PodManagementPolicy)
				}
				if sts.Spec.ServiceName != in.services[0].Name {
					t.Errorf("StatefulSet serviceName %q names no Service", sts.Spec.ServiceName)
				}
			case !sharded && len(in.deployments) == 1 && len(in.statefulSets) == 0:
				pod = in.deployments[0].Spec.Template
				if r := in.deployments[0].Spec.Replicas; r == nil || *r != 1 {
					t.Errorf("Deployment replicas %v, want 1", r)
				}
			default:
				t.Fatalf("%d Deployments and %d StatefulSets", len(in.deployments), len(in.statefulSets))
			}
			checkPod(t, pod, c.args)

			svc := in.services[0]
			for k, v := range svc.Spec.Selector {
				if pod.Labels[k] != v {
					t.Errorf("Service selects %s=%s, the pods are labelled %v", k, v, pod.Labels)
				}
			}
			if svc.Spec.Ports[0].TargetPort.StrVal != pod.Spec.Containers[0].Ports[0].Name {
				t.Errorf("Service targets port %v, the container's is %q", svc.Spec.Ports[0].TargetPort, pod.Spec.Containers[0].Ports[0].Name)
			}

			if !sharded {
				if len(in.serviceMonitors)+len(in.rules)+len(in.configMaps) != 0 {
					t.Errorf("the default export has optional objects: %d ServiceMonitors, %d PrometheusRules, %d ConfigMaps", len(in.serviceMonitors), len(in.rules), len(in.configMaps))
				}
				return
			}
			sm := in.serviceMonitors[0]
			for k, v := range sm.Spec.Selector.MatchLabels {
				if svc.Labels[k] != v {
					t.Errorf("ServiceMonitor selects %s=%s, the Service is labelled %v", k, v, svc.Labels)
				}
			}
			if ep := sm.Spec.Endpoints[0]; ep.Port != svc.Spec.Ports[0].Name || ep.Path != "/metrics" || !ep.HonorLabels {
				t.Errorf("ServiceMonitor endpoint %+v: want port %s, /metrics, honorLabels (Flagger's namespace label)", ep, svc.Spec.Ports[0].Name)
			}
			cm := in.configMaps[0]
			if cm.Labels["grafana_dashboard"] != "1" {
				t.Errorf("dashboard ConfigMap labels %v: no grafana_dashboard", cm.Labels)
			}
			dashboard, err := installFiles.ReadFile("install/components/dashboard/gitcanary.json")
			if err != nil {
				t.Fatal(err)
			}
			if cm.Data["gitcanary.json"] != string(dashboard) {
				t.Errorf("the ConfigMap does not hold the dashboard")
			}
			if len(in.rules) != 1 || len(in.rules[0].Spec.Groups[0].Rules) == 0 {
				t.Errorf("want one PrometheusRule with rules, got %+v", in.rules)
			}
			for _, objNS := range []string{in.serviceAccounts[0].Namespace, svc.Namespace, sm.Namespace, cm.Namespace, in.rules[0].Namespace, in.statefulSets[0].Namespace} {
				if objNS != ns {
					t.Errorf("an object in namespace %q, want %q", objNS, ns)
				}
			}
		})
	}
}

// checkPod checks the pod gitcanary runs in: `run` with flags it knows,
// each file flag pointing into the Secret the option names, the probes on
// the served port, a non-root read-only container with writable workdir.
func checkPod(t *testing.T, pod corev1.PodTemplateSpec, installArgs []string) {
	t.Helper()
	spec := pod.Spec
	ctr := spec.Containers[0]
	if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("pod securityContext %+v: want runAsNonRoot", sc)
	}
	if sc := ctr.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("container securityContext %+v: want readOnlyRootFilesystem, no privilege escalation", sc)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("the pod mounts a service account token: gitcanary needs no API access")
	}
	if ctr.Resources.Requests.Memory().IsZero() || ctr.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want memory requests and limits", ctr.Resources)
	}
	for probe, path := range map[*corev1.Probe]string{ctr.LivenessProbe: "/healthz", ctr.ReadinessProbe: "/readyz"} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != path || probe.HTTPGet.Port.StrVal != ctr.Ports[0].Name {
			t.Errorf("probe %+v: want GET %s on port %s", probe, path, ctr.Ports[0].Name)
		}
	}

	// The arguments are run's own flags.
	if ctr.Args[0] != "run" {
		t.Fatalf("args %v: want run", ctr.Args)
	}
	run := newRunCommand()
	if err := run.ParseFlags(ctr.Args[1:]); err != nil {
		t.Fatalf("run does not take the arguments %v: %v", ctr.Args, err)
	}
	flag := func(name string) string {
		v, err := run.Flags().GetString(name)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if addr := flag("listen"); addr != fmt.Sprintf(":%d", ctr.Ports[0].ContainerPort) {
		t.Errorf("--listen %s, container port %d", addr, ctr.Ports[0].ContainerPort)
	}
	for i := 0; i+1 < len(installArgs); i++ {
		if f, ok := map[string]string{"--repo": "repo", "--branch": "branch", "--path": "path", "--prometheus": "prometheus", "--provider": "provider", "--ui-url": "ui-url"}[installArgs[i]]; ok {
			if got := flag(f); got != installArgs[i+1] {
				t.Errorf("run --%s=%q, install was given %q", f, got, installArgs[i+1])
			}
		}
	}

	// Every file flag reads from a mounted volume, and the Secret volumes
	// are the ones the options name.
	mounts := map[string]string{} // mount path → volume
	for _, m := range ctr.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	secretOf := map[string]string{"git-token-file": "--git-secret", "ssh-key-file": "--git-secret", "ssh-known-hosts": "--git-secret",
		"webhook-secret-file": "--webhook-secret", "github-token-file": "--github-token-secret"}
	defaults := defaultInstallOptions()
	defaultSecret := map[string]string{"--git-secret": defaults.GitSecret, "--webhook-secret": defaults.WebhookSecret}
	used := 0
	for fl, opt := range secretOf {
		file := flag(fl)
		if file == "" {
			continue
		}
		used++
		vol, ok := volumes[mounts[filepath.Dir(file)]]
		if !ok || vol.Secret == nil {
			t.Errorf("--%s=%s: no Secret is mounted at %s", fl, file, filepath.Dir(file))
			continue
		}
		want := defaultSecret[opt]
		if i := slices.Index(installArgs, opt); i >= 0 {
			want = installArgs[i+1]
		}
		if vol.Secret.SecretName != want {
			t.Errorf("--%s reads Secret %s, %s is %s", fl, vol.Secret.SecretName, opt, want)
		}
	}
	if used < 3 {
		t.Errorf("only %d file flags: want the Git credentials and the webhook secret", used)
	}
	if wd := flag("workdir"); volumes[mounts[wd]].EmptyDir == nil {
		t.Errorf("--workdir %s is not a writable emptyDir", wd)
	}
	if volumes[mounts["/tmp"]].EmptyDir == nil {
		t.Errorf("no writable /tmp under a read-only root filesystem")
	}

	// A shard takes its ordinal from the pod's name.
	if shard := flag("shard"); shard != "" {
		if !slices.ContainsFunc(ctr.Env, func(e corev1.EnvVar) bool {
			return e.Name == "POD_NAME" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name"
		}) {
			t.Errorf("--shard %s without POD_NAME from metadata.name", shard)
		}
		expanded := strings.ReplaceAll(shard, "$(POD_NAME)", "gitcanary-2")
		if got, err := resolveShard(expanded); err != nil || got != "2/3" {
			t.Errorf("pod gitcanary-2 with --shard %s: got %q, %v; want 2/3", shard, got, err)
		}
	}
}

// TestInstallExportBuildsAgain commits the export as a user would for Flux
// and builds it again with kustomize, as kustomize-controller does.
func TestInstallExportBuildsAgain(t *testing.T) {
	for _, c := range installCases {
		out, err := gitcanary(t, append([]string{"install", "--export"}, c.args...)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		fs := filesys.MakeFsInMemory()
		if err := fs.WriteFile("/fleet/gitcanary.yaml", []byte(out)); err != nil {
			t.Fatal(err)
		}
		if err := fs.WriteFile("/fleet/kustomization.yaml", []byte("resources:\n- gitcanary.yaml\n")); err != nil {
			t.Fatal(err)
		}
		res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/fleet")
		if err != nil {
			t.Fatalf("%s: kustomize build: %v", c.name, err)
		}
		again, err := res.AsYaml()
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != out {
			t.Errorf("%s: kustomize build of the export differs from it:\n%s", c.name, again)
		}
	}
}

// TestInstallFluxKustomization checks the Flux Kustomization example.
func TestInstallFluxKustomization(t *testing.T) {
	out, err := gitcanary(t, "install", "--export", "--flux-kustomization", "clusters/prod/gitcanary", "--shards", "2", "-n", "canaries")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	in := decodeStrict(t, out)
	if len(in.kustomizations) != 1 {
		t.Fatalf("want one Kustomization:\n%s", out)
	}
	k := in.kustomizations[0]
	if k.Spec.Path != "./clusters/prod/gitcanary" || k.Spec.SourceRef.Kind != "GitRepository" || k.Spec.SourceRef.Name != "flux-system" || !k.Spec.Prune {
		t.Errorf("Kustomization spec %+v", k.Spec)
	}
	if h := k.Spec.HealthChecks; len(h) != 1 || h[0].Kind != "StatefulSet" || h[0].Namespace != "canaries" || h[0].Name != "gitcanary" {
		t.Errorf("health checks %+v: want the StatefulSet gitcanary in canaries", h)
	}
}

// TestInstallRefuses checks the errors of bad options.
func TestInstallRefuses(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"install", "--repo", "ssh://git@github.com/acme/fleet.git"}, "add --export"},
		{[]string{"install", "--export"}, "--repo is required"},
		{[]string{"install", "--export", "--repo", "https://gitcanary:s3cr3t-t0ken@github.com/acme/fleet.git"}, "carries credentials"},
		{[]string{"install", "--export", "--repo", "https://github.com/acme/fleet.git", "-n", "Canaries"}, `--namespace: "Canaries" is not a Kubernetes name`},
		{[]string{"install", "--export", "--repo", "https://github.com/acme/fleet.git", "--git-secret", "git_creds"}, `--git-secret: "git_creds"`},
		{[]string{"install", "--export", "--repo", "https://github.com/acme/fleet.git", "--shards", "0"}, "--shards must be at least 1"},
		{[]string{"install", "--export", "--flux-kustomization", "clusters/x", "--flux-source", "flux-system"}, "--flux-source: want KIND/NAME"},
	} {
		out, err := gitcanary(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v (%s), want an error with %q", c.args, err, out, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("the error shows the token: %v", err)
		}
	}
}

func TestResolveShard(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"", "", ""},
		{"1/4", "1/4", ""},
		{"gitcanary-2/3", "2/3", ""},
		{"gitcanary-shard-10/12", "10/12", ""},
		{"gitcanary/3", "", `"gitcanary" is neither a shard number nor a StatefulSet pod name`},
		{"$(POD_NAME)/3", "", "neither a shard number"},
	} {
		got, err := resolveShard(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: got %q, %v; want an error with %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// TestRunTakesItsShardFromThePodName runs `run --once` as the pods
// gitcanary-0 and gitcanary-1 of a StatefulSet of two (Kubernetes expands
// --shard=$(POD_NAME)/2): exactly one of them initializes the sample
// canary; a name without an ordinal is refused.
func TestRunTakesItsShardFromThePodName(t *testing.T) {
	t.Parallel()
	remote := pushRepo(t, sampleRepo(t), "apps")
	commits := func() int {
		return strings.Count(git(t, "", "--git-dir", remote, "log", "--format=%s", "main"), "Initialization done! podinfo.test")
	}
	for _, pod := range []string{"gitcanary-0", "gitcanary-1"} {
		before := commits()
		out, err := gitcanary(t, "run", "--once", "--repo", "file://"+remote, "--shard", pod+"/2")
		if err != nil {
			t.Fatalf("%s: %v\n%s", pod, err, out)
		}
		t.Logf("pod %s: %d initialization commits", pod, commits()-before)
	}
	if n := commits(); n != 1 {
		t.Errorf("pods gitcanary-0 and gitcanary-1 made %d initialization commits, want 1 (one shard holds the canary)", n)
	}

	out, err := gitcanary(t, "run", "--once", "--repo", "file://"+remote, "--shard", "gitcanary/2")
	if err == nil || !strings.Contains(err.Error(), `"gitcanary" is neither a shard number`) {
		t.Errorf("run --shard gitcanary/2: %v\n%s", err, out)
	}
}
