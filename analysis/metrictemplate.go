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

// ProviderPrometheus is the default MetricTemplate provider type.
const ProviderPrometheus = "prometheus"

// laterProviderTypes are metric providers of Flagger releases after the
// MetricTemplate types gitcanary runs: named "not supported yet" rather
// than "unknown".
var laterProviderTypes = []string{"skywalking", "signoz", "appdynamicscloud", "chronosphere", "azuremonitor"}

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
	// Type is the provider kind: prometheus, datadog, newrelic, ...
	// (ProviderTypes).
	Type string `json:"type"`
	// Address is the server URL. Empty means the default server (run
	// --prometheus), which Flagger does not allow but a Git-only setup
	// finds handy.
	Address string `json:"address,omitempty"`
	// SecretRef names the credentials, resolved by the QuerierFactory.
	SecretRef *SecretRef `json:"secretRef,omitempty"`
	// InsecureSkipVerify disables TLS certificate verification.
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
	// Region is the cloud region (cloudwatch).
	Region string `json:"region,omitempty"`
	// Headers are added to every HTTP request to the provider.
	Headers map[string][]string `json:"headers,omitempty"`
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
	var n yaml.Node
	err := yaml.NewDecoder(bytes.NewReader(raw)).Decode(&n)
	if errors.Is(err, io.EOF) {
		return nil, &api.FieldError{Source: src, Msg: "empty document"}
	}
	if err != nil {
		return nil, &api.FieldError{Source: src, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	doc, err := api.DecodeDocument(src, "", &n)
	if err != nil {
		return nil, err
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
		doc, err := api.DecodeDocument(src, api.ObjectName(api.KindMetricTemplate, d.Namespace, d.Name), d.Node)
		if err != nil {
			errs = append(errs, err)
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
	errs = append(errs, CheckProvider(t)...)
	if strings.TrimSpace(t.Spec.Query) == "" {
		errs = append(errs, fail(obj, "spec.query", "is required"))
	} else if err := CheckQuery(t.Spec.Query); err != nil {
		errs = append(errs, fail(obj, "spec.query", "%v", err))
	} else if t.Spec.Provider.Type == keptnType.name {
		if _, _, err := ParseKeptnQuery(t.Spec.Query); err != nil {
			errs = append(errs, fail(obj, "spec.query", "%v", err))
		}
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

// CheckProvider checks a MetricTemplate's provider block: the type is one
// gitcanary runs, the address is a valid URL (and present where the type
// has no default), the region is set where needed, and a secretRef names
// the Secret whose keys the type reads. It returns one *api.FieldError per
// problem, naming the file, the document and the field.
func CheckProvider(t *MetricTemplate) []error {
	obj := fmt.Sprintf("MetricTemplate %s/%s", t.Metadata.Namespace, t.Metadata.Name)
	fail := func(field, format string, args ...any) error {
		return &api.FieldError{Source: t.Source, Object: obj, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	p := t.Spec.Provider
	supported := strings.Join(ProviderTypes(), ", ")
	pt, known := lookupProvider(p.Type)
	switch {
	case p.Type == "":
		return []error{fail("spec.provider.type", "is required (supported: %s)", supported)}
	case !known && slices.Contains(laterProviderTypes, p.Type):
		return []error{fail("spec.provider.type", "provider %q is not supported yet (supported: %s)", p.Type, supported)}
	case !known:
		return []error{fail("spec.provider.type", "unknown provider %q (supported: %s)", p.Type, supported)}
	case pt.unsupported != "":
		return []error{fail("spec.provider.type", "provider %q is not supported yet: %s", p.Type, pt.unsupported)}
	}
	var errs []error
	if p.Address != "" {
		a := p.Address
		if pt.name == splunkType.name || pt.name == signalfxType.name {
			a = strings.Replace(strings.Replace(a, "wss://", "https://", 1), "ws://", "http://", 1)
		}
		if _, err := parseAddress(a); err != nil {
			errs = append(errs, fail("spec.provider.address", "%v", strings.TrimPrefix(err.Error(), "address ")))
		}
	} else if pt.addressRequired {
		errs = append(errs, fail("spec.provider.address", "is required for provider %s", p.Type))
	}
	if pt.regionRequired && p.Region == "" {
		errs = append(errs, fail("spec.provider.region", "is required for provider %s", p.Type))
	}
	switch {
	case p.SecretRef != nil && p.SecretRef.Name == "":
		errs = append(errs, fail("spec.provider.secretRef.name", "is required"))
	case p.SecretRef != nil && !dnsName.MatchString(p.SecretRef.Name):
		errs = append(errs, fail("spec.provider.secretRef.name", "%q is not a valid Kubernetes name", p.SecretRef.Name))
	case p.SecretRef == nil && pt.secretRequired:
		errs = append(errs, fail("spec.provider.secretRef", "is required for provider %s: its Secret holds the keys %s", p.Type, strings.Join(pt.keys, ", ")))
	}
	return errs
}

// SecretKeys returns the keys a provider type reads from its Secret.
func SecretKeys(typ string) []string {
	pt, _ := lookupProvider(typ)
	return slices.Clone(pt.keys)
}
