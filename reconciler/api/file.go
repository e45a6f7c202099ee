package api

import (
	"bytes"
	"encoding/json"
	"fmt"

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

// decodeFile parses a gitcanary file into v and checks its kind.
func decodeFile(path string, data []byte, kind string, v any) error {
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("%s: invalid YAML: %w", path, err)
	}
	js, err := json.Marshal(Normalize(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var meta struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(js, &meta); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if meta.Kind != kind {
		return fmt.Errorf("%s: kind: want %s, got %q", path, kind, meta.Kind)
	}
	if err := json.Unmarshal(js, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
