package gitops

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Errors of Helm renders callers may test for with errors.Is.
var (
	// ErrChartFetch means a HelmRelease's chart could not be fetched from
	// its source (a Helm repository over HTTP(S) or OCI).
	ErrChartFetch = errors.New("chart cannot be fetched")
	// ErrNoChartSource means a HelmRelease names a source that is not in
	// the repository, or one gitcanary cannot read.
	ErrNoChartSource = errors.New("chart source not found")
)

// API groups of Flux's HelmRelease kinds and sources.
const (
	helmControllerGroup = "helm.toolkit.fluxcd.io"
	helmOperatorGroup   = "helm.fluxcd.io"
	sourceGroup         = "source.toolkit.fluxcd.io"
	kindHelmRelease     = "HelmRelease"
	// maxReleaseName is Helm's bound on a release name.
	maxReleaseName = 53
)

// IsHelmRelease reports whether o is a HelmRelease of Flux's
// helm-controller (helm.toolkit.fluxcd.io) or of Helm Operator
// (helm.fluxcd.io/v1).
func IsHelmRelease(o *yaml.RNode) bool {
	g := group(o)
	return o.GetKind() == kindHelmRelease && (g == helmControllerGroup || g == helmOperatorGroup)
}

// IsHelmSource reports whether o is a Flux source a HelmRelease may name:
// a HelmRepository, HelmChart, GitRepository or OCIRepository.
func IsHelmSource(o *yaml.RNode) bool {
	switch o.GetKind() {
	case "HelmRepository", "HelmChart", "GitRepository", "OCIRepository":
		return group(o) == sourceGroup
	}
	return false
}

// ReadHelmSources returns the Flux sources a HelmRelease may name (see
// IsHelmSource) among a file's documents; none when it is not YAML.
func ReadHelmSources(data []byte) []*yaml.RNode {
	docs, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil
	}
	var out []*yaml.RNode
	for _, d := range docs {
		if IsHelmSource(d) {
			out = append(out, d)
		}
	}
	return out
}

func group(o *yaml.RNode) string {
	g, _, _ := strings.Cut(o.GetApiVersion(), "/")
	return g
}

// HelmEnv is where a HelmRelease's chart and values come from.
type HelmEnv struct {
	// FS is the repository: charts of a GitRepository source are read from
	// it, at their path from its root.
	FS filesys.FileSystem
	// Objects are looked up by kind, namespace and name: the Flux sources
	// (HelmRepository, HelmChart, OCIRepository) and the ConfigMaps and
	// Secrets of valuesFrom. The app's rendered objects and the sources
	// found in the repository.
	Objects []*yaml.RNode
}

// HelmRender is a HelmRelease rendered as helm-controller would install it.
type HelmRender struct {
	// ReleaseName and Namespace are the Helm release's.
	ReleaseName, Namespace string
	// Chart names the chart and its version ("podinfo 6.0.1"); Version is
	// the version alone.
	Chart, Version string
	// Values are the values it was rendered with, from spec.values and
	// ConfigMaps; the values of Secrets are left out, never to be copied.
	Values map[string]any
	// SecretValues names the Secrets whose values were merged in.
	SecretValues []string
	// Objects are the rendered objects, post-renderers applied.
	Objects []*yaml.RNode
}

// HelmRenderer renders Flux HelmReleases as helm-controller does, with the
// Helm SDK: the chart from the source Flux would use (a chart path in this
// repository, a Helm repository over HTTP(S) or OCI), the release's values
// and valuesFrom, its release name and target namespace, then its
// post-renderers (kustomize). Fetched charts are cached by digest. It is
// safe for concurrent use.
type HelmRenderer struct {
	client *http.Client
	opts   RenderOptions

	mu      sync.Mutex
	charts  map[string][]byte // archive by digest
	indexes map[string]cachedIndex
}

// NewHelmRenderer returns a renderer fetching charts with client (nil:
// http.DefaultClient) and bounding post-renders by o.
func NewHelmRenderer(client *http.Client, o RenderOptions) *HelmRenderer {
	if client == nil {
		client = http.DefaultClient
	}
	return &HelmRenderer{client: client, opts: o.withDefaults(), charts: map[string][]byte{}, indexes: map[string]cachedIndex{}}
}

// defaultHelm is the renderer of [RenderHelm]: one cache per process.
var defaultHelm = sync.OnceValue(func() *HelmRenderer { return NewHelmRenderer(nil, RenderOptions{}) })

// RenderHelm renders a HelmRelease with a process-wide [HelmRenderer].
func RenderHelm(ctx context.Context, env HelmEnv, hr *yaml.RNode) (*HelmRender, error) {
	return defaultHelm().Render(ctx, env, hr)
}

// Render renders hr. Errors name the HelmRelease and the field.
func (h *HelmRenderer) Render(ctx context.Context, env HelmEnv, hr *yaml.RNode) (*HelmRender, error) {
	ctx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
	defer cancel()
	id := fmt.Sprintf("HelmRelease %s/%s", hr.GetNamespace(), hr.GetName())
	spec, err := readReleaseSpec(hr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	ch, err := h.loadChart(ctx, env, hr, spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	out := &HelmRender{ReleaseName: spec.releaseName, Namespace: spec.namespace,
		Chart: ch.Metadata.Name + " " + ch.Metadata.Version, Version: ch.Metadata.Version}
	values, err := spec.values(env, out)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	manifests, err := renderChart(ch, values, spec)
	if err != nil {
		return nil, fmt.Errorf("%s: chart %s: %w", id, out.Chart, err)
	}
	objs, err := h.postRender(ctx, manifests, spec)
	if err != nil {
		return nil, fmt.Errorf("%s: spec.postRenderers: %w", id, err)
	}
	for _, o := range objs {
		if o.GetNamespace() == "" && !clusterScoped[o.GetKind()] {
			if err := o.SetNamespace(spec.namespace); err != nil {
				return nil, err
			}
		}
	}
	out.Objects = objs
	return out, nil
}

// renderChart renders a chart as `helm install` does, hooks and notes
// left out: what the release applies.
func renderChart(ch *chart.Chart, values map[string]any, spec *releaseSpec) (string, error) {
	if err := chartutil.ProcessDependenciesWithMerge(ch, values); err != nil {
		return "", err
	}
	opts := chartutil.ReleaseOptions{Name: spec.releaseName, Namespace: spec.namespace, Revision: 1, IsInstall: true}
	top, err := chartutil.ToRenderValues(ch, values, opts, chartutil.DefaultCapabilities)
	if err != nil {
		return "", err
	}
	files, err := engine.Render(ch, top)
	if err != nil {
		return "", err
	}
	for name := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			delete(files, name)
		}
	}
	_, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, crd := range ch.CRDObjects() {
		fmt.Fprintf(&b, "---\n%s\n", crd.File.Data)
	}
	for _, m := range manifests {
		fmt.Fprintf(&b, "---\n%s\n", m.Content)
	}
	return b.String(), nil
}

// postRender applies the release's kustomize post-renderers as
// helm-controller does (a kustomization of the manifests with the
// patches and images), then its commonMetadata and origin labels.
func (h *HelmRenderer) postRender(ctx context.Context, manifests string, spec *releaseSpec) ([]*yaml.RNode, error) {
	k := map[string]any{"resources": []string{"manifests.yaml"}}
	for i, pr := range spec.postRenderers {
		fs := filesys.MakeFsInMemory()
		if err := fs.WriteFile("/render/manifests.yaml", []byte(manifests)); err != nil {
			return nil, err
		}
		kk := map[string]any{}
		for key, v := range k {
			kk[key] = v
		}
		for _, f := range []string{"patches", "patchesStrategicMerge", "patchesJson6902", "images"} {
			if v, ok := pr[f]; ok {
				kk[f] = v
			}
		}
		if err := fixJSON6902(kk); err != nil {
			return nil, fmt.Errorf("[%d].kustomize: %w", i, err)
		}
		data, err := yaml.Marshal(kk)
		if err != nil {
			return nil, err
		}
		if err := fs.WriteFile("/render/kustomization.yaml", data); err != nil {
			return nil, err
		}
		objs, err := RenderWith(ctx, fs, "/render", h.opts)
		if err != nil {
			return nil, fmt.Errorf("[%d].kustomize: %w", i, err)
		}
		var b bytes.Buffer
		for _, o := range objs {
			b.WriteString("---\n" + o.MustString())
		}
		manifests = b.String()
	}
	objs, err := readObjects(manifests)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		labels := o.GetLabels()
		for key, v := range spec.commonLabels {
			labels[key] = v
		}
		if spec.origin {
			labels[helmControllerGroup+"/name"] = spec.name
			labels[helmControllerGroup+"/namespace"] = spec.hrNamespace
		}
		if len(labels) > 0 {
			if err := o.SetLabels(labels); err != nil {
				return nil, err
			}
		}
		if len(spec.commonAnnotations) > 0 {
			a := o.GetAnnotations()
			for key, v := range spec.commonAnnotations {
				a[key] = v
			}
			if err := o.SetAnnotations(a); err != nil {
				return nil, err
			}
		}
	}
	return objs, nil
}

// fixJSON6902 turns helm-controller's patchesJson6902 entries, whose patch
// is a list of operations, into kustomize's, whose patch is their text.
func fixJSON6902(k map[string]any) error {
	list, ok := k["patchesJson6902"].([]any)
	if !ok {
		return nil
	}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return errors.New("patchesJson6902: want a list of {target, patch}")
		}
		if ops, ok := m["patch"].([]any); ok {
			b, err := yaml.Marshal(ops)
			if err != nil {
				return err
			}
			m["patch"] = string(b)
		}
	}
	return nil
}

// readObjects parses a stream of manifests, skipping empty documents.
func readObjects(manifests string) ([]*yaml.RNode, error) {
	var out []*yaml.RNode
	for _, doc := range releaseutil.SplitManifests(manifests) {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		n, err := yaml.Parse(doc)
		if err != nil {
			return nil, err
		}
		if n.IsNilOrEmpty() {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

// clusterScoped are the kinds without a namespace a chart commonly holds.
var clusterScoped = map[string]bool{
	"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
	"PersistentVolume": true, "StorageClass": true, "PriorityClass": true, "IngressClass": true,
	"MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true, "APIService": true,
}

// releaseName is helm-controller's default release name: spec.releaseName,
// else [<targetNamespace>-]<name>, shortened with a hash past Helm's 53
// characters.
func releaseName(name, targetNamespace, explicit string) string {
	if explicit != "" {
		return explicit
	}
	if targetNamespace != "" {
		name = targetNamespace + "-" + name
	}
	if len(name) <= maxReleaseName {
		return name
	}
	sum := fmt.Sprintf("%x", sha256.Sum256([]byte(name)))[:12]
	return name[:maxReleaseName-len(sum)-1] + "-" + sum
}

// cachedIndex is a Helm repository index, kept for a while.
type cachedIndex struct {
	index *repoIndex
	at    time.Time
}

// joinURL resolves ref against base as Helm resolves chart URLs.
func joinURL(base, ref string) string {
	if strings.Contains(ref, "://") {
		return ref
	}
	return strings.TrimSuffix(base, "/") + "/" + path.Clean(strings.TrimPrefix(ref, "/"))
}
