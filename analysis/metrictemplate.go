package analysis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// API versions accepted for MetricTemplate documents.
var metricTemplateVersions = []string{api.GroupVersion, api.FlaggerV1beta1}

// ProviderPrometheus is the only MetricTemplate provider type supported
// today.
const ProviderPrometheus = "prometheus"

// flaggerProviderTypes are Flagger's other metric providers: named "not
// supported yet" rather than "unknown".
var flaggerProviderTypes = []string{
	"datadog", "cloudwatch", "newrelic", "graphite", "stackdriver", "influxdb",
	"dynatrace", "keptn", "splunk", "skywalking", "signoz", "appdynamicscloud",
	"chronosphere", "azuremonitor",
}

// MetricTemplate is a MetricTemplate document (flagger.app/v1beta1 or
// gitcanary.dev/v1beta1) read from the repository.
type MetricTemplate struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Metadata   api.ObjectMeta     `json:"metadata"`
	Spec       MetricTemplateSpec `json:"spec"`

	// Source says where the document was read from.
	Source api.Source `json:"-"`
}

// MetricTemplateSpec is the metric provider and the query template.
type MetricTemplateSpec struct {
	Provider Provider `json:"provider"`
	Query    string   `json:"query"`
}

// Provider is a MetricTemplate's metrics server.
type Provider struct {
	// Type is the provider kind; only "prometheus" is supported.
	Type string `json:"type"`
	// Address is the server URL. Empty means the default server (run
	// --prometheus), which Flagger does not allow but a Git-only setup
	// finds handy.
	Address string `json:"address,omitempty"`
	// SecretRef names the credentials, resolved by the QuerierFactory.
	SecretRef *SecretRef `json:"secretRef,omitempty"`
	// InsecureSkipVerify disables TLS certificate verification.
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// SecretRef references a Secret by name, in the MetricTemplate's namespace.
type SecretRef struct {
	Name string `json:"name"`
}

// Key returns "name.namespace", the form Flagger's events use for
// templates.
func (t *MetricTemplate) Key() string {
	return t.Metadata.Name + "." + t.Metadata.Namespace
}

// IsMetricTemplate reports whether a document is a MetricTemplate gitcanary
// reads.
func IsMetricTemplate(d api.Document) bool {
	return d.Kind == api.KindMetricTemplate && slices.Contains(metricTemplateVersions, d.APIVersion)
}

// ParseMetricTemplate parses one YAML document, the index-th (zero-based)
// of the file at path, and validates it. Errors are *api.FieldError values
// naming the file, the document and the field.
func ParseMetricTemplate(path string, index int, raw []byte) (*MetricTemplate, error) {
	src := api.Source{Path: path, Index: index}
	var doc any
	err := yaml.NewDecoder(bytes.NewReader(raw)).Decode(&doc)
	if errors.Is(err, io.EOF) {
		return nil, &api.FieldError{Source: src, Msg: "empty document"}
	}
	if err != nil {
		return nil, &api.FieldError{Source: src, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	return decodeMetricTemplate(src, doc)
}

// ParseMetricTemplates returns the MetricTemplate documents of a
// multi-document file; other documents are ignored. Parsing goes on past a
// bad document: the error joins one *api.FieldError per bad document and
// the good templates are still returned.
func ParseMetricTemplates(path string, data []byte) ([]*MetricTemplate, error) {
	docs, err := api.SplitDocuments(path, data)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	var out []*MetricTemplate
	for _, d := range docs {
		if !IsMetricTemplate(d) {
			continue
		}
		src := api.Source{Path: path, Index: d.Index}
		var doc any
		if err := d.Node.Decode(&doc); err != nil {
			errs = append(errs, &api.FieldError{Source: src, Msg: err.Error()})
			continue
		}
		t, err := decodeMetricTemplate(src, doc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	return out, errors.Join(errs...)
}

func decodeMetricTemplate(src api.Source, doc any) (*MetricTemplate, error) {
	fail := func(obj, field, format string, args ...any) error {
		return &api.FieldError{Source: src, Object: obj, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, fail("", "", "want a MetricTemplate object, got %s", yamlKind(doc))
	}
	js, err := json.Marshal(api.Normalize(doc))
	if err != nil {
		return nil, fail("", "", "%v", err)
	}
	t := &MetricTemplate{Source: src}
	if err := json.Unmarshal(js, t); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fail("", te.Field, "want %s, got %s", jsonType(te.Type.Kind().String()), te.Value)
		}
		return nil, fail("", "", "%v", err)
	}
	if t.Metadata.Namespace == "" {
		t.Metadata.Namespace = "default"
	}
	obj := fmt.Sprintf("MetricTemplate %s/%s", t.Metadata.Namespace, t.Metadata.Name)
	if t.Kind != api.KindMetricTemplate {
		return nil, fail(obj, "kind", "want %s, got %q", api.KindMetricTemplate, t.Kind)
	}
	if !slices.Contains(metricTemplateVersions, t.APIVersion) {
		return nil, fail(obj, "apiVersion", "want one of %s, got %q", strings.Join(metricTemplateVersions, ", "), t.APIVersion)
	}
	var errs []error
	if t.Metadata.Name == "" {
		errs = append(errs, fail(obj, "metadata.name", "is required"))
	}
	p := t.Spec.Provider
	switch {
	case p.Type == "":
		errs = append(errs, fail(obj, "spec.provider.type", "is required (supported: %s)", ProviderPrometheus))
	case p.Type == ProviderPrometheus:
	case slices.Contains(flaggerProviderTypes, p.Type):
		errs = append(errs, fail(obj, "spec.provider.type", "provider %q is not supported yet (supported: %s)", p.Type, ProviderPrometheus))
	default:
		errs = append(errs, fail(obj, "spec.provider.type", "unknown provider %q (supported: %s)", p.Type, ProviderPrometheus))
	}
	if p.Address != "" {
		if _, err := parseAddress(p.Address); err != nil {
			errs = append(errs, fail(obj, "spec.provider.address", "%v", strings.TrimPrefix(err.Error(), "prometheus address ")))
		}
	}
	if p.SecretRef != nil && p.SecretRef.Name == "" {
		errs = append(errs, fail(obj, "spec.provider.secretRef.name", "is required"))
	}
	if strings.TrimSpace(t.Spec.Query) == "" {
		errs = append(errs, fail(obj, "spec.query", "is required"))
	} else if err := CheckQuery(t.Spec.Query); err != nil {
		errs = append(errs, fail(obj, "spec.query", "%v", err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

func yamlKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	case string:
		return "a string"
	}
	return fmt.Sprintf("%T", v)
}

func jsonType(goKind string) string {
	switch goKind {
	case "struct", "map":
		return "an object"
	case "slice":
		return "a list"
	case "bool":
		return "a boolean"
	}
	return "a " + goKind
}
