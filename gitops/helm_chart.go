package gitops

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"
)

// Bounds on what a chart source may send.
const (
	maxIndexBytes = 32 << 20
	maxChartBytes = 16 << 20
	// indexTTL is how long a Helm repository index is reused.
	indexTTL = 10 * time.Second
)

// loadChart finds the release's chart where Flux's source-controller
// would: a HelmChart or OCIRepository of spec.chartRef, or spec.chart.spec
// with its sourceRef (GitRepository: a path in this repository;
// HelmRepository: an index and tarballs over HTTP(S), or OCI).
func (h *HelmRenderer) loadChart(ctx context.Context, env HelmEnv, hr interface{ GetNamespace() string }, s *releaseSpec) (*chart.Chart, error) {
	spec, field := s.chart, "spec.chart.spec"
	if s.operator {
		return h.operatorChart(ctx, env, s)
	}
	if ref := s.chartRef; ref != nil {
		ns := ref.Namespace
		if ns == "" {
			ns = s.hrNamespace
		}
		src := findEnvObject(env.Objects, ref.Kind, ns, ref.Name)
		if src == nil {
			return nil, fmt.Errorf("spec.chartRef: %w: %s %s/%s is not in the repository", ErrNoChartSource, ref.Kind, ns, ref.Name)
		}
		switch ref.Kind {
		case "OCIRepository":
			return h.ociRepositoryChart(ctx, src)
		case "HelmChart":
			if err := decodeSpec(src, &spec); err != nil {
				return nil, fmt.Errorf("spec.chartRef: HelmChart %s/%s: %w", ns, ref.Name, err)
			}
			field = fmt.Sprintf("HelmChart %s/%s: spec", ns, ref.Name)
			// A HelmChart's source is in its own namespace.
			if spec.SourceRef.Namespace == "" {
				spec.SourceRef.Namespace = ns
			}
		default:
			return nil, fmt.Errorf("spec.chartRef.kind: want OCIRepository or HelmChart, got %q", ref.Kind)
		}
	}
	if spec.Chart == "" {
		return nil, fmt.Errorf("%s.chart: is required", field)
	}
	ns := spec.SourceRef.Namespace
	if ns == "" {
		ns = s.hrNamespace
	}
	switch spec.SourceRef.Kind {
	case "GitRepository", "Bucket":
		if spec.SourceRef.Kind == "Bucket" {
			return nil, fmt.Errorf("%s.sourceRef: %w: gitcanary reads charts from this repository, a Helm repository or OCI, not from a Bucket", field, ErrNoChartSource)
		}
		ch, err := localChart(env.FS, spec.Chart, spec.ValuesFiles)
		if err != nil {
			return nil, fmt.Errorf("%s.chart: %w", field, err)
		}
		return ch, nil
	case "HelmRepository":
		repo := findEnvObject(env.Objects, "HelmRepository", ns, spec.SourceRef.Name)
		if repo == nil {
			return nil, fmt.Errorf("%s.sourceRef: %w: HelmRepository %s/%s is not in the repository", field, ErrNoChartSource, ns, spec.SourceRef.Name)
		}
		var rs struct {
			URL       string     `json:"url"`
			Type      string     `json:"type"`
			Insecure  bool       `json:"insecure"`
			SecretRef *objectRef `json:"secretRef"`
		}
		if err := decodeSpec(repo, &rs); err != nil {
			return nil, fmt.Errorf("HelmRepository %s/%s: %w", ns, spec.SourceRef.Name, err)
		}
		if rs.SecretRef != nil {
			return nil, fmt.Errorf("HelmRepository %s/%s: spec.secretRef: %w: gitcanary fetches charts without credentials", ns, spec.SourceRef.Name, ErrChartFetch)
		}
		if rs.Type == "oci" || strings.HasPrefix(rs.URL, "oci://") {
			return h.ociChart(ctx, strings.TrimSuffix(rs.URL, "/")+"/"+spec.Chart, spec.Version, "", rs.Insecure)
		}
		return h.httpChart(ctx, rs.URL, spec.Chart, spec.Version)
	}
	return nil, fmt.Errorf("%s.sourceRef.kind: want GitRepository, HelmRepository, got %q", field, spec.SourceRef.Kind)
}

// operatorChart finds a Helm Operator chart: repository + name + version,
// or git + path (this repository).
func (h *HelmRenderer) operatorChart(ctx context.Context, env HelmEnv, s *releaseSpec) (*chart.Chart, error) {
	c := s.chart
	switch {
	case c.Path != "":
		ch, err := localChart(env.FS, c.Path, nil)
		if err != nil {
			return nil, fmt.Errorf("spec.chart.path: %w", err)
		}
		return ch, nil
	case c.Repository != "" && c.Name != "":
		if strings.HasPrefix(c.Repository, "oci://") {
			return h.ociChart(ctx, strings.TrimSuffix(c.Repository, "/")+"/"+c.Name, c.Version, "", false)
		}
		return h.httpChart(ctx, c.Repository, c.Name, c.Version)
	}
	return nil, fmt.Errorf("spec.chart: want repository, name and version, or git and path")
}

// decodeSpec decodes an object's spec into v.
func decodeSpec(o interface{ MarshalJSON() ([]byte, error) }, v any) error {
	js, err := o.MarshalJSON()
	if err != nil {
		return err
	}
	var doc struct {
		Spec any `json:"spec"`
	}
	if err := sigsyaml.Unmarshal(js, &doc); err != nil {
		return err
	}
	b, err := sigsyaml.Marshal(doc.Spec)
	if err != nil {
		return err
	}
	return sigsyaml.Unmarshal(b, v)
}

// localChart loads a chart directory of the repository; valuesFiles, when
// given, replace its values.yaml merged in order, as source-controller
// packages it.
func localChart(fsys filesys.FileSystem, dir string, valuesFiles []string) (*chart.Chart, error) {
	if fsys == nil {
		return nil, fmt.Errorf("%w: no repository to read %s from", ErrNoChartSource, dir)
	}
	root := path.Join(FSRoot, path.Clean("/"+dir))
	if !fsys.IsDir(root) {
		return nil, fmt.Errorf("%w: %s is not a directory of this repository (gitcanary reads GitRepository charts from the config repository)", ErrNoChartSource, strings.TrimPrefix(root, "/"))
	}
	var files []*loader.BufferedFile
	err := fsys.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := fsys.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: strings.TrimPrefix(strings.TrimPrefix(p, root), "/"), Data: data})
		return nil
	})
	if err != nil {
		return nil, err
	}
	ch, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strings.TrimPrefix(root, "/"), err)
	}
	if len(valuesFiles) > 0 {
		merged := map[string]any{}
		for _, f := range valuesFiles {
			data, err := fsys.ReadFile(path.Join(root, f))
			if err != nil {
				return nil, fmt.Errorf("valuesFiles: %w", err)
			}
			v, err := chartutil.ReadValues(data)
			if err != nil {
				return nil, fmt.Errorf("valuesFiles: %s: %w", f, err)
			}
			merged = mergeValues(merged, v)
		}
		ch.Values = merged
	}
	return ch, nil
}

// repoIndex is the part of a Helm repository's index.yaml gitcanary reads.
type repoIndex struct {
	Entries map[string][]struct {
		Version string   `json:"version"`
		URLs    []string `json:"urls"`
		Digest  string   `json:"digest"`
	} `json:"entries"`
}

// httpChart fetches a chart from a Helm repository over HTTP(S): the
// newest version matching the constraint (any, when empty).
func (h *HelmRenderer) httpChart(ctx context.Context, repoURL, name, constraint string) (*chart.Chart, error) {
	idx, err := h.index(ctx, repoURL)
	if err != nil {
		return nil, err
	}
	var best *semver.Version
	var url, digest string
	c, err := versionConstraint(constraint)
	if err != nil {
		return nil, err
	}
	for _, e := range idx.Entries[name] {
		v, err := semver.NewVersion(e.Version)
		if err != nil || !c.Check(v) || len(e.URLs) == 0 {
			continue
		}
		if best == nil || v.GreaterThan(best) {
			best, url, digest = v, e.URLs[0], e.Digest
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: no version of chart %s matching %q in %s", ErrChartFetch, name, constraint, repoURL)
	}
	data, err := h.cachedFetch(ctx, joinURL(repoURL, url), digest, nil)
	if err != nil {
		return nil, err
	}
	return loader.LoadArchive(bytes.NewReader(data))
}

// versionConstraint reads a chart version constraint; empty means the
// newest stable version.
func versionConstraint(s string) (*semver.Constraints, error) {
	if strings.TrimSpace(s) == "" {
		s = "*"
	}
	c, err := semver.NewConstraint(s)
	if err != nil {
		return nil, fmt.Errorf("version %q: %w", s, err)
	}
	return c, nil
}

// index fetches a repository's index.yaml, reused for indexTTL.
func (h *HelmRenderer) index(ctx context.Context, repoURL string) (*repoIndex, error) {
	h.mu.Lock()
	c, ok := h.indexes[repoURL]
	h.mu.Unlock()
	if ok && time.Since(c.at) < indexTTL {
		return c.index, nil
	}
	data, err := h.get(ctx, joinURL(repoURL, "index.yaml"), maxIndexBytes, nil)
	if err != nil {
		return nil, err
	}
	var idx repoIndex
	if err := sigsyaml.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%w: %s/index.yaml: %v", ErrChartFetch, strings.TrimSuffix(repoURL, "/"), err)
	}
	h.mu.Lock()
	h.indexes[repoURL] = cachedIndex{index: &idx, at: time.Now()}
	h.mu.Unlock()
	return &idx, nil
}

// cachedFetch returns a chart archive by its digest (sha256, hex, with or
// without "sha256:"), fetched once; an archive whose digest differs is
// refused.
func (h *HelmRenderer) cachedFetch(ctx context.Context, url, digest string, header http.Header) ([]byte, error) {
	digest = strings.TrimPrefix(digest, "sha256:")
	if digest != "" {
		h.mu.Lock()
		data, ok := h.charts[digest]
		h.mu.Unlock()
		if ok {
			return data, nil
		}
	}
	data, err := h.get(ctx, url, maxChartBytes, header)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	got := hex.EncodeToString(sum[:])
	if digest != "" && got != digest {
		return nil, fmt.Errorf("%w: %s has digest sha256:%s, the index says sha256:%s", ErrChartFetch, redactURL(url), got, digest)
	}
	h.mu.Lock()
	h.charts[got] = data
	h.mu.Unlock()
	return data, nil
}

// get fetches a URL, at most limit bytes.
func (h *HelmRenderer) get(ctx context.Context, url string, limit int64, header http.Header) ([]byte, error) {
	resp, err := h.do(ctx, url, header)
	if err != nil {
		return nil, err
	}
	return readBody(resp, url, limit)
}

// readBody reads an OK response's body, at most limit bytes, and closes it.
func readBody(resp *http.Response, url string, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: GET %s: %s", ErrChartFetch, redactURL(url), resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: %v", ErrChartFetch, redactURL(url), err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: GET %s: more than %d bytes", ErrChartFetch, redactURL(url), limit)
	}
	return data, nil
}

func (h *HelmRenderer) do(ctx context.Context, url string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrChartFetch, redactURL(url), err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: %v", ErrChartFetch, redactURL(url), redactErr(err))
	}
	return resp, nil
}

// redactURL drops the credentials a URL may carry.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// redactErr drops the credentials of the URL an HTTP error names.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return redact(err, ue.URL, redactURL(ue.URL))
	}
	return err
}
