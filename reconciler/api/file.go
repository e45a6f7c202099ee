package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The files gitcanary keeps next to a canary (status.yaml, request.yaml)
// are written from Go structs with JSON field names, as block YAML in field
// order, under a header comment.

// encodeFile renders v as a gitcanary file.
func encodeFile(header string, v any) ([]byte, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(js, &n); err != nil {
		return nil, err
	}
	// JSON objects decode as flow style; print them as block YAML.
	setBlock(&n)
	var buf bytes.Buffer
	buf.WriteString(header)
	if err := yaml.NewEncoder(&buf).Encode(&n); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func setBlock(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.ScalarNode && n.Style&yaml.DoubleQuotedStyle != 0 {
		n.Style &^= yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		setBlock(c)
	}
}

// decodeFile parses a gitcanary file into v (a pointer to its struct) and
// checks its kind. It reads within the limits of a Canary document; keys v
// has no field for are ignored, so a file written by a newer gitcanary
// still reads. Errors are *FieldError values naming the file and field.
func decodeFile(path string, data []byte, kind string, v any) error {
	src := Source{Path: path, Index: wholeFile}
	docs, err := SplitDocuments(path, data)
	if err != nil {
		if fe, ok := err.(*FieldError); ok {
			fe.Source = src
		}
		return err
	}
	if len(docs) != 1 || docs[0].Node == nil || len(docs[0].Node.Content) == 0 {
		return &FieldError{Source: src, Msg: fmt.Sprintf("want one YAML document, got %d", len(docs))}
	}
	if docs[0].Kind != kind {
		return &FieldError{Source: src, Field: "kind", Msg: fmt.Sprintf("want %s, got %q", kind, docs[0].Kind)}
	}
	raw, err := DecodeDocument(src, "", docs[0].Node)
	if err != nil {
		return err
	}
	w := &fieldWalker{}
	w.walk(raw, reflect.TypeOf(v).Elem(), "")
	if len(w.errs) > 0 {
		return &FieldError{Source: src, Field: w.errs[0].field, Msg: w.errs[0].msg}
	}
	js, err := json.Marshal(raw)
	if err != nil {
		return &FieldError{Source: src, Msg: err.Error()}
	}
	if err := json.Unmarshal(js, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &FieldError{Source: src, Field: te.Field, Msg: fmt.Sprintf("want %s, got %s", te.Type, te.Value)}
		}
		return &FieldError{Source: src, Msg: err.Error()}
	}
	return nil
}
