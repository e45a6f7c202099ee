package gitops

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// Media types of a Helm chart in an OCI registry.
const (
	ociManifestType = "application/vnd.oci.image.manifest.v1+json"
	helmChartLayer  = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
	maxManifest     = 4 << 20
)

// ociRepositoryChart fetches the chart of a Flux OCIRepository: spec.url
// and spec.ref (tag, semver or digest).
func (h *HelmRenderer) ociRepositoryChart(ctx context.Context, src interface{ MarshalJSON() ([]byte, error) }) (*chart.Chart, error) {
	var s struct {
		URL      string `json:"url"`
		Insecure bool   `json:"insecure"`
		Ref      struct {
			Tag    string `json:"tag"`
			SemVer string `json:"semver"`
			Digest string `json:"digest"`
		} `json:"ref"`
		SecretRef *objectRef `json:"secretRef"`
	}
	if err := decodeSpec(src, &s); err != nil {
		return nil, fmt.Errorf("OCIRepository: %w", err)
	}
	if s.SecretRef != nil {
		return nil, fmt.Errorf("OCIRepository: spec.secretRef: %w: gitcanary fetches charts without credentials", ErrChartFetch)
	}
	version := s.Ref.SemVer
	if version == "" {
		version = s.Ref.Tag
	}
	if version == "" && s.Ref.Digest == "" {
		version = "latest"
	}
	return h.ociChart(ctx, s.URL, version, s.Ref.Digest, s.Insecure)
}

// ociChart pulls a chart from an OCI registry, as `helm pull oci://…`:
// ref is oci://host/path/chart; version is a tag or a semver constraint
// (resolved against the registry's tags), or digest pins the manifest.
// Registries asking for a token get an anonymous one.
func (h *HelmRenderer) ociChart(ctx context.Context, ref, version, digest string, insecure bool) (*chart.Chart, error) {
	host, repo, ok := strings.Cut(strings.TrimPrefix(ref, "oci://"), "/")
	if !strings.HasPrefix(ref, "oci://") || !ok || repo == "" {
		return nil, fmt.Errorf("%w: %q is not an oci://host/path reference", ErrChartFetch, ref)
	}
	scheme := "https"
	if insecure {
		scheme = "http"
	}
	reg := &ociRegistry{h: h, base: scheme + "://" + host, repo: repo}
	tag := digest
	if tag == "" {
		var err error
		if tag, err = reg.resolve(ctx, version); err != nil {
			return nil, err
		}
	}
	var manifest struct {
		Layers []struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
		} `json:"layers"`
	}
	data, err := reg.get(ctx, "/manifests/"+tag, maxManifest, http.Header{"Accept": {ociManifestType}})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		return nil, fmt.Errorf("%w: %s:%s: manifest: %v", ErrChartFetch, ref, tag, err)
	}
	for _, l := range manifest.Layers {
		if l.MediaType != helmChartLayer {
			continue
		}
		archive, err := h.cachedFetch(ctx, reg.url("/blobs/"+l.Digest), l.Digest, reg.auth)
		if err != nil {
			return nil, err
		}
		return loader.LoadArchive(bytes.NewReader(archive))
	}
	return nil, fmt.Errorf("%w: %s:%s holds no Helm chart layer", ErrChartFetch, ref, tag)
}

// ociRegistry is one repository of an OCI registry.
type ociRegistry struct {
	h          *HelmRenderer
	base, repo string
	auth       http.Header
}

func (r *ociRegistry) url(p string) string { return r.base + "/v2/" + r.repo + p }

// resolve turns a version (a tag, or a semver constraint) into a tag, as
// Helm does: "+" in versions is "_" in tags.
func (r *ociRegistry) resolve(ctx context.Context, version string) (string, error) {
	if _, err := semver.StrictNewVersion(version); err == nil || version == "latest" {
		return strings.ReplaceAll(version, "+", "_"), nil
	}
	c, err := versionConstraint(version)
	if err != nil {
		return "", err
	}
	data, err := r.get(ctx, "/tags/list", maxManifest, nil)
	if err != nil {
		return "", err
	}
	var list struct {
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return "", fmt.Errorf("%w: %s tags: %v", ErrChartFetch, r.repo, err)
	}
	var best *semver.Version
	var tag string
	for _, t := range list.Tags {
		v, err := semver.NewVersion(strings.ReplaceAll(t, "_", "+"))
		if err == nil && c.Check(v) && (best == nil || v.GreaterThan(best)) {
			best, tag = v, t
		}
	}
	if best == nil {
		return "", fmt.Errorf("%w: no tag of %s matches %q", ErrChartFetch, r.repo, version)
	}
	return tag, nil
}

// get fetches a path of the repository, getting an anonymous token first
// when the registry asks for one.
func (r *ociRegistry) get(ctx context.Context, p string, limit int64, header http.Header) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		h := http.Header{}
		for k, v := range header {
			h[k] = v
		}
		for k, v := range r.auth {
			h[k] = v
		}
		resp, err := r.h.do(ctx, r.url(p), h)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			challenge := resp.Header.Get("WWW-Authenticate")
			resp.Body.Close()
			if err := r.token(ctx, challenge); err != nil {
				return nil, err
			}
			continue
		}
		return readBody(resp, r.url(p), limit)
	}
}

// token gets an anonymous bearer token for a challenge
// (Bearer realm="…",service="…",scope="…").
func (r *ociRegistry) token(ctx context.Context, challenge string) error {
	params := map[string]string{}
	rest, ok := strings.CutPrefix(challenge, "Bearer ")
	if !ok {
		return fmt.Errorf("%w: %s asks for credentials (%q): gitcanary fetches charts anonymously", ErrChartFetch, r.base, challenge)
	}
	for _, kv := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		params[k] = strings.Trim(v, `"`)
	}
	q := url.Values{}
	for _, k := range []string{"service", "scope"} {
		if params[k] != "" {
			q.Set(k, params[k])
		}
	}
	data, err := r.h.get(ctx, params["realm"]+"?"+q.Encode(), maxManifest, nil)
	if err != nil {
		return err
	}
	var t struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(data, &t); err != nil {
		return fmt.Errorf("%w: token from %s: %v", ErrChartFetch, params["realm"], err)
	}
	tok := t.Token
	if tok == "" {
		tok = t.AccessToken
	}
	r.auth = http.Header{"Authorization": {"Bearer " + tok}}
	return nil
}
