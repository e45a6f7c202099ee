package gitops

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// releaseSpec is what rendering a HelmRelease needs, read from either API.
type releaseSpec struct {
	name, hrNamespace string
	// releaseName and namespace are the Helm release's.
	releaseName, namespace string
	// chart is spec.chart.spec (helm-controller) or the chart fields of
	// Helm Operator's spec.chart; chartRef is helm-controller's
	// spec.chartRef.
	chart    chartSpec
	chartRef *objectRef
	// operator is set for Helm Operator's HelmRelease.
	operator bool
	// inline are spec.values; from are spec.valuesFrom.
	inline map[string]any
	from   []valuesRef
	// postRenderers are the kustomize blocks of spec.postRenderers.
	postRenderers []map[string]any
	// commonLabels and commonAnnotations are spec.commonMetadata; origin
	// adds helm-controller's origin labels.
	commonLabels, commonAnnotations map[string]string
	origin                          bool
}

// chartSpec says where a chart comes from.
type chartSpec struct {
	Chart       string    `json:"chart"`
	Version     string    `json:"version"`
	SourceRef   objectRef `json:"sourceRef"`
	ValuesFiles []string  `json:"valuesFiles"`
	// Helm Operator's: a repository URL and a chart name, or a path in a
	// Git repository.
	Repository string `json:"repository"`
	Name       string `json:"name"`
	Git        string `json:"git"`
	Path       string `json:"path"`
}

type objectRef struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// valuesRef is one entry of spec.valuesFrom, of either API.
type valuesRef struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	ValuesKey  string `json:"valuesKey"`
	TargetPath string `json:"targetPath"`
	Optional   bool   `json:"optional"`
	// Helm Operator's.
	ConfigMapKeyRef *keyRef `json:"configMapKeyRef"`
	SecretKeyRef    *keyRef `json:"secretKeyRef"`
}

type keyRef struct {
	Name     string `json:"name"`
	Key      string `json:"key"`
	Optional bool   `json:"optional"`
}

// readReleaseSpec reads a HelmRelease of helm-controller or Helm Operator.
func readReleaseSpec(hr *yaml.RNode) (*releaseSpec, error) {
	js, err := hr.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var doc struct {
		Spec struct {
			ReleaseName     string           `json:"releaseName"`
			TargetNamespace string           `json:"targetNamespace"`
			Chart           json.RawMessage  `json:"chart"`
			ChartRef        *objectRef       `json:"chartRef"`
			Values          map[string]any   `json:"values"`
			ValuesFrom      []valuesRef      `json:"valuesFrom"`
			PostRenderers   []map[string]any `json:"postRenderers"`
			CommonMetadata  struct {
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"commonMetadata"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	s := doc.Spec
	rs := &releaseSpec{name: hr.GetName(), hrNamespace: hr.GetNamespace(), chartRef: s.ChartRef,
		inline: s.Values, from: s.ValuesFrom,
		commonLabels: s.CommonMetadata.Labels, commonAnnotations: s.CommonMetadata.Annotations}
	if rs.hrNamespace == "" {
		rs.hrNamespace = "default"
	}
	rs.namespace = rs.hrNamespace
	if group(hr) == helmOperatorGroup {
		rs.operator = true
		rs.releaseName = s.ReleaseName
		if rs.releaseName == "" {
			rs.releaseName = rs.hrNamespace + "-" + rs.name
		}
		if len(s.Chart) > 0 {
			if err := json.Unmarshal(s.Chart, &rs.chart); err != nil {
				return nil, fmt.Errorf("spec.chart: %w", err)
			}
		}
		return rs, nil
	}
	rs.origin = true
	if s.TargetNamespace != "" {
		rs.namespace = s.TargetNamespace
	}
	rs.releaseName = releaseName(rs.name, s.TargetNamespace, s.ReleaseName)
	if len(s.Chart) > 0 {
		var c struct {
			Spec chartSpec `json:"spec"`
		}
		if err := json.Unmarshal(s.Chart, &c); err != nil {
			return nil, fmt.Errorf("spec.chart.spec: %w", err)
		}
		rs.chart = c.Spec
	}
	for i, pr := range s.PostRenderers {
		k, ok := pr["kustomize"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("spec.postRenderers[%d]: only kustomize post-renderers exist", i)
		}
		rs.postRenderers = append(rs.postRenderers, k)
	}
	return rs, nil
}

// values merges the release's values as helm-controller does: each
// valuesFrom entry in order, then spec.values. out learns the values that
// may be copied (those of ConfigMaps and spec.values) and which Secrets
// gave others.
func (s *releaseSpec) values(env HelmEnv, out *HelmRender) (map[string]any, error) {
	all, plain := map[string]any{}, map[string]any{}
	for i, ref := range s.from {
		kind, name, key, optional := ref.Kind, ref.Name, ref.ValuesKey, ref.Optional
		switch {
		case ref.ConfigMapKeyRef != nil:
			kind, name, key, optional = "ConfigMap", ref.ConfigMapKeyRef.Name, ref.ConfigMapKeyRef.Key, ref.ConfigMapKeyRef.Optional
		case ref.SecretKeyRef != nil:
			kind, name, key, optional = "Secret", ref.SecretKeyRef.Name, ref.SecretKeyRef.Key, ref.SecretKeyRef.Optional
		}
		if key == "" {
			key = "values.yaml"
		}
		field := fmt.Sprintf("spec.valuesFrom[%d]", i)
		data, found, err := valuesData(env, kind, s.hrNamespace, name, key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		if !found {
			if optional {
				continue
			}
			return nil, fmt.Errorf("%s: %w: %s %s/%s with key %s is not in the repository", field, ErrNoChartSource, kind, s.hrNamespace, name, key)
		}
		v := map[string]any{}
		if ref.TargetPath != "" {
			if err := strvals.ParseInto(ref.TargetPath+"="+strings.TrimSpace(data), v); err != nil {
				return nil, fmt.Errorf("%s.targetPath: %w", field, err)
			}
		} else if v, err = chartutil.ReadValues([]byte(data)); err != nil {
			// The content of a Secret is never told.
			if kind == "Secret" {
				return nil, fmt.Errorf("%s: Secret %s/%s key %s does not hold YAML values", field, s.hrNamespace, name, key)
			}
			return nil, fmt.Errorf("%s: ConfigMap %s/%s key %s: %w", field, s.hrNamespace, name, key, err)
		}
		// Copies: merged maps are shared, and a Secret's values must not
		// reach the copyable ones through a map both hold.
		all = mergeValues(all, copyValues(v))
		if kind == "Secret" {
			out.SecretValues = append(out.SecretValues, s.hrNamespace+"/"+name)
		} else {
			plain = mergeValues(plain, copyValues(v))
		}
	}
	all = mergeValues(all, copyValues(s.inline))
	out.Values = mergeValues(plain, copyValues(s.inline))
	return all, nil
}

// valuesData reads a key of a ConfigMap or Secret among env's objects. A
// SOPS-encrypted Secret cannot be read: it is reported found, without
// values, as its changes are not canaried.
func valuesData(env HelmEnv, kind, ns, name, key string) (string, bool, error) {
	o := findEnvObject(env.Objects, kind, ns, name)
	if o == nil {
		return "", false, nil
	}
	if kind == "Secret" && o.Field("sops") != nil {
		return "{}", true, nil
	}
	if v, _ := o.Pipe(yaml.Lookup("data", key)); v != nil {
		if kind == "Secret" {
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v.YNode().Value))
			if err != nil {
				return "", false, fmt.Errorf("data.%s of Secret %s/%s is not base64", key, ns, name)
			}
			return string(b), true, nil
		}
		return v.YNode().Value, true, nil
	}
	if v, _ := o.Pipe(yaml.Lookup("stringData", key)); v != nil && kind == "Secret" {
		return v.YNode().Value, true, nil
	}
	return "", false, nil
}

// findEnvObject finds an object by kind, namespace (or none) and name.
func findEnvObject(objs []*yaml.RNode, kind, ns, name string) *yaml.RNode {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name && (o.GetNamespace() == ns || o.GetNamespace() == "") {
			return o
		}
	}
	return nil
}

// mergeValues merges src into dst, maps recursively, as helm-controller
// merges values.
func mergeValues(dst, src map[string]any) map[string]any {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				dst[k] = mergeValues(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

// copyValues deep-copies decoded values.
func copyValues(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, e := range v {
		if m, ok := e.(map[string]any); ok {
			e = copyValues(m)
		}
		out[k] = e
	}
	return out
}
