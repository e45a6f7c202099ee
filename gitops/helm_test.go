package gitops

import (
	"context"
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/fixtures"
	"github.com/gitcanary/gitcanary/fixtures/helmrepo"
)

// chartServer serves fixtures/charts/podinfo at the versions given, over
// HTTP and OCI.
func chartServer(t *testing.T, versions ...string) *helmrepo.Server {
	t.Helper()
	var charts []helmrepo.Chart
	for _, v := range versions {
		c, err := helmrepo.Package(fixtures.Charts(), "podinfo", v)
		if err != nil {
			t.Fatal(err)
		}
		charts = append(charts, c)
	}
	s, err := helmrepo.Start("127.0.0.1:0", charts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// repoWithChart is a repository FS holding the chart at charts/podinfo.
func repoWithChart(t *testing.T) *FS {
	t.Helper()
	f := NewFS(nil)
	chart, err := fixtures.ChartFiles("podinfo")
	if err != nil {
		t.Fatal(err)
	}
	for p, data := range chart {
		f.Set(p, data)
	}
	return f
}

func objs(t *testing.T, docs string) []*yaml.RNode {
	t.Helper()
	out, err := readObjects(docs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func find(objs []*yaml.RNode, kind, name string) *yaml.RNode {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func field(t *testing.T, o *yaml.RNode, path ...string) string {
	t.Helper()
	v, err := o.Pipe(yaml.Lookup(path...))
	if err != nil || v == nil {
		t.Fatalf("%s %s has no %s:\n%s", o.GetKind(), o.GetName(), strings.Join(path, "."), o.MustString())
	}
	if v.YNode().Kind == yaml.ScalarNode {
		return v.YNode().Value
	}
	return strings.TrimSpace(v.MustString())
}

const helmRelease = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: test
spec:
  interval: 5m
  chart:
    spec:
      chart: podinfo
      version: 6.0.x
      sourceRef:
        kind: HelmRepository
        name: podinfo
        namespace: flux-system
  valuesFrom:
    - kind: ConfigMap
      name: podinfo-values
    - kind: Secret
      name: podinfo-secret-values
      valuesKey: extra.yaml
  values:
    replicaCount: 3
`

const helmSources = `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  url: URL
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: podinfo-values
  namespace: test
data:
  values.yaml: |
    ui:
      message: from a ConfigMap
    replicaCount: 1
---
apiVersion: v1
kind: Secret
metadata:
  name: podinfo-secret-values
  namespace: test
stringData:
  extra.yaml: |
    ui:
      color: "#000000"
`

// A HelmRelease over an HTTP Helm repository renders as helm-controller
// installs it: the newest version matching the constraint, values from
// valuesFrom in order then spec.values, the release's namespace on every
// object, origin labels; and the values it reports never hold a Secret's.
func TestRenderHelmReleaseFromHTTPRepository(t *testing.T) {
	s := chartServer(t, "6.0.0", "6.0.1", "6.1.0")
	h := NewHelmRenderer(nil, RenderOptions{})
	env := HelmEnv{Objects: objs(t, strings.Replace(helmSources, "URL", s.URL, 1))}
	r, err := h.Render(context.Background(), env, yaml.MustParse(helmRelease))
	if err != nil {
		t.Fatal(err)
	}
	if r.ReleaseName != "podinfo" || r.Chart != "podinfo 6.0.1" {
		t.Errorf("release %s, chart %s; want podinfo, podinfo 6.0.1", r.ReleaseName, r.Chart)
	}
	d := find(r.Objects, "Deployment", "podinfo")
	if d == nil {
		t.Fatalf("no Deployment podinfo in %d objects", len(r.Objects))
	}
	for path, want := range map[string]string{
		"spec.replicas":                                     "3",
		"metadata.namespace":                                "test",
		"spec.template.spec.containers.0.image":             `ghcr.io/stefanprodan/podinfo:6.0.1`,
		"metadata.labels.helm\\.toolkit\\.fluxcd\\.io/name": "podinfo",
	} {
		p := strings.Split(strings.ReplaceAll(path, "\\.", "\x00"), ".")
		for i := range p {
			p[i] = strings.ReplaceAll(p[i], "\x00", ".")
			if p[i] == "0" {
				p[i] = "[name=podinfod]"
			}
		}
		if got := field(t, d, p...); strings.Trim(got, `"`) != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
	cm := find(r.Objects, "ConfigMap", "podinfo-config")
	if got := field(t, cm, "data", "PODINFO_UI_MESSAGE"); got != "from a ConfigMap" {
		t.Errorf("message %s", got)
	}
	if got := field(t, cm, "data", "PODINFO_UI_COLOR"); got != "#000000" {
		t.Errorf("the Secret's values were not merged: color %s", got)
	}
	if find(r.Objects, "Service", "podinfo") == nil {
		t.Error("no Service")
	}
	if strings.Contains(find(r.Objects, "Deployment", "podinfo").MustString(), "NOTES") {
		t.Error("notes rendered")
	}
	ui, _ := r.Values["ui"].(map[string]any)
	if ui["color"] != nil || ui["message"] != "from a ConfigMap" || r.Values["replicaCount"] != float64(3) && r.Values["replicaCount"] != 3 {
		t.Errorf("copyable values %v: want the ConfigMap's and spec.values', never the Secret's", r.Values)
	}
	if len(r.SecretValues) != 1 || r.SecretValues[0] != "test/podinfo-secret-values" {
		t.Errorf("secret values %v", r.SecretValues)
	}

	// Cached by digest: a second render fetches the index again, not the
	// chart.
	if _, err := h.Render(context.Background(), env, yaml.MustParse(helmRelease)); err != nil {
		t.Fatal(err)
	}
	if n := s.Requests("/charts/podinfo-6.0.1.tgz"); n != 1 {
		t.Errorf("the chart was fetched %d times", n)
	}
}

// The same chart from an OCI registry, and from a path of the repository
// (a GitRepository source), with post-renderers.
func TestRenderHelmReleaseFromOCIAndGit(t *testing.T) {
	s := chartServer(t, "6.0.0", "6.0.1")
	h := NewHelmRenderer(nil, RenderOptions{})
	oci := strings.Replace(helmSources, "url: URL", "type: oci\n  insecure: true\n  url: "+s.OCI, 1)
	hr := strings.Replace(helmRelease, "version: 6.0.x", "version: 6.0.0", 1)
	r, err := h.Render(context.Background(), HelmEnv{Objects: objs(t, oci)}, yaml.MustParse(hr))
	if err != nil {
		t.Fatal(err)
	}
	if r.Chart != "podinfo 6.0.0" {
		t.Errorf("OCI: chart %s", r.Chart)
	}

	git := strings.Replace(helmRelease, "chart: podinfo\n      version: 6.0.x\n      sourceRef:\n        kind: HelmRepository\n        name: podinfo",
		"chart: ./charts/podinfo\n      sourceRef:\n        kind: GitRepository\n        name: flux-system", 1)
	git += `  targetNamespace: prod
  postRenderers:
    - kustomize:
        patches:
          - target:
              kind: Deployment
              name: prod-podinfo
            patch: |
              - op: add
                path: /spec/template/metadata/annotations/patched
                value: "yes"
        images:
          - name: ghcr.io/stefanprodan/podinfo
            newTag: 9.9.9
`
	fsys := repoWithChart(t)
	r, err = h.Render(context.Background(), HelmEnv{FS: fsys, Objects: objs(t, oci)}, yaml.MustParse(git))
	if err != nil {
		t.Fatal(err)
	}
	d := find(r.Objects, "Deployment", "prod-podinfo")
	if d == nil || r.ReleaseName != "prod-podinfo" || d.GetNamespace() != "prod" {
		t.Fatalf("release %s: want prod-podinfo in namespace prod", r.ReleaseName)
	}
	if got := field(t, d, "spec", "template", "metadata", "annotations", "patched"); got != "yes" {
		t.Errorf("patch not applied: %s", got)
	}
	if got := field(t, d, "spec", "template", "spec", "containers", "[name=podinfod]", "image"); got != "ghcr.io/stefanprodan/podinfo:9.9.9" {
		t.Errorf("images not applied: %s", got)
	}
	if paths := strings.Join(fsys.ReadPaths(), " "); !strings.Contains(paths, "charts/podinfo/templates/deployment.yaml") {
		t.Errorf("the chart's files are not recorded as read: %s", paths)
	}
}

func TestRenderHelmReleaseErrors(t *testing.T) {
	s := chartServer(t, "6.0.0")
	sources := strings.Replace(helmSources, "URL", s.URL, 1)
	tests := []struct {
		name, from, to, sources string
		want                    string
		is                      error
	}{
		{"no such version", "version: 6.0.x", "version: 7.x", sources,
			`HelmRelease test/podinfo: chart cannot be fetched: no version of chart podinfo matching "7.x" in ` + s.URL, ErrChartFetch},
		{"unreachable repository", "version: 6.0.x", "version: 6.0.x", strings.Replace(helmSources, "URL", "http://127.0.0.1:1/charts", 1),
			"HelmRelease test/podinfo: chart cannot be fetched: GET http://127.0.0.1:1/charts/index.yaml", ErrChartFetch},
		{"no source", "name: podinfo\n        namespace: flux-system", "name: other\n        namespace: flux-system", sources,
			"HelmRelease test/podinfo: spec.chart.spec.sourceRef: chart source not found: HelmRepository flux-system/other is not in the repository", ErrNoChartSource},
		{"missing values ConfigMap", "name: podinfo-values", "name: nope", sources,
			"HelmRelease test/podinfo: spec.valuesFrom[0]: chart source not found: ConfigMap test/nope with key values.yaml is not in the repository", ErrNoChartSource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hr := strings.Replace(helmRelease, tt.from, tt.to, 1)
			_, err := NewHelmRenderer(nil, RenderOptions{}).Render(context.Background(), HelmEnv{Objects: objs(t, tt.sources)}, yaml.MustParse(hr))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, tt.is) {
				t.Fatalf("got %v\nwant %q (%v)", err, tt.want, tt.is)
			}
		})
	}
}

// spec.chartRef names an OCIRepository (the chart at a tag or semver
// range) or a HelmChart (its chart, version and HelmRepository).
func TestRenderHelmReleaseFromChartRef(t *testing.T) {
	s := chartServer(t, "6.0.0", "6.0.1", "6.1.0")
	const hr = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: test
spec:
  chartRef:
    kind: KIND
    name: podinfo
    namespace: flux-system
`
	sources := strings.Replace(helmSources, "URL", s.URL, 1) + `---
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: OCIRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  url: ` + s.OCI + `/podinfo
  insecure: true
  ref:
    semver: "6.0.x"
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata:
  name: podinfo
  namespace: flux-system
spec:
  chart: podinfo
  version: "<6.1.0"
  sourceRef:
    kind: HelmRepository
    name: podinfo
`
	for kind, want := range map[string]string{"OCIRepository": "podinfo 6.0.1", "HelmChart": "podinfo 6.0.1"} {
		r, err := NewHelmRenderer(nil, RenderOptions{}).Render(context.Background(), HelmEnv{Objects: objs(t, sources)}, yaml.MustParse(strings.Replace(hr, "KIND", kind, 1)))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if r.Chart != want {
			t.Errorf("%s: chart %s, want %s", kind, r.Chart, want)
		}
		d := find(r.Objects, "Deployment", "podinfo")
		if got := field(t, d, "spec", "template", "spec", "containers", "[name=podinfod]", "image"); got != "ghcr.io/stefanprodan/podinfo:6.0.1" {
			t.Errorf("%s: image %s", kind, got)
		}
	}
}
