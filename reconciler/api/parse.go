package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Document is one YAML document of a file.
type Document struct {
	// Index is the zero-based position in the file.
	Index      int
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	// Node is the parsed document.
	Node *yaml.Node
}

// FieldError is invalid user input, located by file, document and field.
type FieldError struct {
	Source Source
	// Object is "Kind namespace/name" when known.
	Object string
	// Field is the JSON path of the offending field, e.g.
	// "spec.analysis.stepWeight".
	Field string
	Msg   string
	// Err is a sentinel the problem is an instance of ([ErrTooLarge]), or
	// nil.
	Err error
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source.String())
	if e.Object != "" {
		fmt.Fprintf(&b, " (%s)", e.Object)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": %s", e.Field)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

// SplitDocuments parses a multi-document YAML file. A syntax error names the
// file, the document it is in and the line of the file; a file larger than
// [MaxFileBytes], or of more than [MaxDocuments] documents, is refused
// whole.
func SplitDocuments(path string, data []byte) ([]Document, error) {
	if len(data) > MaxFileBytes {
		return nil, &FieldError{Source: Source{Path: path, Index: wholeFile},
			Msg: fmt.Sprintf("file is %d bytes, more than the %d gitcanary reads", len(data), MaxFileBytes), Err: ErrTooLarge}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []Document
	for i := 0; ; i++ {
		if i == MaxDocuments {
			return nil, &FieldError{Source: Source{Path: path, Index: wholeFile},
				Msg: fmt.Sprintf("file has more than %d YAML documents", MaxDocuments), Err: ErrTooLarge}
		}
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, &FieldError{Source: Source{Path: path, Index: i}, Msg: "invalid YAML: " + syntaxMessage(data, err)}
		}
		if len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
			docs = append(docs, Document{Index: i, Node: &n})
			continue
		}
		d := Document{Index: i, Node: &n}
		root := n.Content[0]
		d.APIVersion = scalar(root, "apiVersion")
		d.Kind = scalar(root, "kind")
		if md := child(root, "metadata"); md != nil {
			d.Name = scalar(md, "name")
			d.Namespace = scalar(md, "namespace")
		}
		docs = append(docs, d)
	}
}

// IsCanary reports whether the document is a Canary gitcanary reads.
func (d Document) IsCanary() bool {
	if d.Kind != KindCanary {
		return false
	}
	switch d.APIVersion {
	case GroupVersion, FlaggerV1beta1, FlaggerV1alpha3:
		return true
	}
	return false
}

// LooksLikeCanary is a cheap pre-filter on raw file bytes, so that scanning a
// large repository only parses files that can hold a Canary.
func LooksLikeCanary(data []byte) bool {
	return bytes.Contains(data, []byte("Canary"))
}

// ParseCanaries returns the Canary documents of a file, defaulted and
// validated. defaultProvider is used when spec.provider is empty. Parsing
// goes on past a bad document, so the returned error joins one FieldError
// per bad document and the good ones are still returned.
func ParseCanaries(path string, data []byte, defaultProvider string) ([]*Canary, error) {
	docs, err := SplitDocuments(path, data)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	var out []*Canary
	for _, d := range docs {
		if !d.IsCanary() {
			continue
		}
		c, err := decodeCanary(path, d, defaultProvider)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, c)
	}
	return out, errors.Join(errs...)
}

// maxUnknownWarnings bounds the unknown-field warnings of one document.
const maxUnknownWarnings = 20

var canaryType = reflect.TypeFor[Canary]()

func decodeCanary(path string, d Document, defaultProvider string) (*Canary, error) {
	src := Source{Path: path, Index: d.Index}
	obj := ObjectName(KindCanary, d.Namespace, d.Name)
	problem := func(field, msg string) *FieldError {
		return &FieldError{Source: src, Object: obj, Field: field, Msg: msg}
	}
	raw, err := DecodeDocument(src, obj, d.Node)
	if err != nil {
		return nil, err
	}
	w := &fieldWalker{}
	w.walk(raw, canaryType, "")
	var errs, warnings []error
	for i, u := range w.unknown {
		if i == maxUnknownWarnings {
			warnings = append(warnings, problem("", fmt.Sprintf("%d more unknown fields, ignored", len(w.unknown)-i)))
			break
		}
		warnings = append(warnings, problem(u.field, u.msg))
	}
	for _, e := range w.errs {
		errs = append(errs, problem(e.field, e.msg))
	}
	js, err := json.Marshal(raw)
	if err != nil {
		return nil, problem("", err.Error())
	}
	c := &Canary{Source: src}
	if err := json.Unmarshal(js, c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			errs = append(errs, problem(te.Field, fmt.Sprintf("want %s, got %s", te.Type, te.Value)))
		} else {
			errs = append(errs, problem("", err.Error()))
		}
		return nil, errors.Join(append(errs, warnings...)...)
	}
	if c.Metadata.Namespace == "" {
		c.Metadata.Namespace = "default"
	}
	c.normalize(defaultProvider)
	for _, h := range w.unsupported {
		switch {
		case h.entry.When != nil && !h.entry.When(c):
		case h.entry.Reject:
			errs = append(errs, problem(h.field, "not supported yet: "+h.entry.Why))
		default:
			warnings = append(warnings, problem(h.field, "not supported, ignored: "+h.entry.Why))
		}
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(append(errs, warnings...)...)
	}
	for _, w := range warnings {
		c.Warnings = append(c.Warnings, w.(*FieldError))
	}
	return c, nil
}

// Normalize turns what YAML decodes into (map[any]any included) into
// JSON-encodable values, so a YAML document can be decoded into a struct
// with encoding/json and its field names in errors.
func Normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = Normalize(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = Normalize(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = Normalize(e)
		}
		return t
	}
	return v
}

func child(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalar(m *yaml.Node, key string) string {
	if n := child(m, key); n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}
