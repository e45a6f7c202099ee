package api

import (
	"errors"
	"fmt"
	"math"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Limits on what one file or document may cost to read. A Canary, a
// status.yaml or a request.yaml is a few kilobytes; these bounds are far
// above any real one and far below what would stall a pass.
const (
	// MaxFileBytes is the largest file gitcanary parses for Canary,
	// MetricTemplate or AlertProvider documents, status.yaml or
	// request.yaml.
	MaxFileBytes = 4 << 20
	// MaxNodes bounds the YAML nodes of one document, an alias counting
	// its whole value each time it is used.
	MaxNodes = 100_000
	// MaxAliases bounds the aliases (*name) in one document.
	MaxAliases = 1_000
	// MaxDepth bounds how deeply one document nests.
	MaxDepth = 100
	// MaxDocuments bounds the YAML documents of one file: a million empty
	// ones ("---") fit in 4 MiB and cost gigabytes of nodes.
	MaxDocuments = 10_000
)

// ErrTooLarge is wrapped by the error for a file or document beyond one
// of the limits above.
var ErrTooLarge = errors.New("too large")

// decodeError is a problem at a field of a document; the caller adds the
// file and the document.
type decodeError struct {
	field string
	msg   string
	err   error
}

func (e *decodeError) Error() string { return e.field + ": " + e.msg }
func (e *decodeError) Unwrap() error { return e.err }

// decoder turns a YAML node tree into the values encoding/json produces
// (map[string]any, []any, string, int64, float64, bool, nil). It does what
// yaml.Node.Decode does, with three differences: duplicate keys are found
// in linear time (yaml.v3 compares every key of a mapping with every other
// one, so a 3.6 MB mapping took 13 s), what a document may cost is
// bounded, and numbers JSON cannot carry (NaN, infinities) are errors
// naming their field.
type decoder struct {
	nodes, aliases int
}

// DecodeNode converts a parsed document (or any node of it) into
// JSON-ready values, within the limits above. Errors name the field
// ("spec.analysis.metrics[0].thresholdRange.min: .nan is not a finite
// number"); wrap them with the file and the document.
func DecodeNode(n *yaml.Node) (any, error) {
	d := &decoder{}
	return d.value(n, "", 0)
}

// DecodeDocument is [DecodeNode] for a document of a file: errors are
// *FieldError values naming src's file and document, object ("Kind
// namespace/name", may be empty) and the field. Every document gitcanary
// reads from a repository is decoded this way, within the limits above and
// in linear time.
func DecodeDocument(src Source, object string, n *yaml.Node) (any, error) {
	v, err := DecodeNode(n)
	if err != nil {
		var de *decodeError
		if errors.As(err, &de) {
			return nil, &FieldError{Source: src, Object: object, Field: de.field, Msg: de.msg, Err: de.err}
		}
		return nil, &FieldError{Source: src, Object: object, Msg: err.Error()}
	}
	return v, nil
}

func (d *decoder) value(n *yaml.Node, path string, depth int) (any, error) {
	d.nodes++
	if d.nodes > MaxNodes {
		return nil, &decodeError{field: fieldOrRoot(path), msg: fmt.Sprintf("document has more than %d YAML nodes (aliases counted where used)", MaxNodes), err: ErrTooLarge}
	}
	if depth > MaxDepth {
		return nil, &decodeError{field: fieldOrRoot(path), msg: fmt.Sprintf("document nests deeper than %d levels", MaxDepth), err: ErrTooLarge}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return d.value(n.Content[0], path, depth)
	case yaml.AliasNode:
		d.aliases++
		if d.aliases > MaxAliases {
			return nil, &decodeError{field: fieldOrRoot(path), msg: fmt.Sprintf("document has more than %d aliases", MaxAliases), err: ErrTooLarge}
		}
		if n.Alias == nil {
			return nil, &decodeError{field: fieldOrRoot(path), msg: "alias to an unknown anchor"}
		}
		return d.value(n.Alias, path, depth+1)
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := d.value(c, fmt.Sprintf("%s[%d]", path, i), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.MappingNode:
		return d.mapping(n, path, depth)
	case yaml.ScalarNode:
		return scalarValue(n, path)
	}
	return nil, &decodeError{field: fieldOrRoot(path), msg: fmt.Sprintf("unexpected YAML node kind %d", n.Kind)}
}

// mapping decodes a mapping. Keys set in the mapping itself win over keys
// merged in with "<<", and among merged mappings the first wins, as in
// YAML's merge key specification.
func (d *decoder) mapping(n *yaml.Node, path string, depth int) (map[string]any, error) {
	out := make(map[string]any, len(n.Content)/2)
	lines := make(map[string]int, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, &decodeError{field: fieldOrRoot(path), msg: fmt.Sprintf("line %d: a mapping key must be a plain value", k.Line)}
		}
		key := k.Value
		if first, dup := lines[key]; dup {
			return nil, &decodeError{field: join(path, key), msg: fmt.Sprintf("line %d: mapping key %q already defined at line %d", k.Line, key, first)}
		}
		lines[key] = k.Line
		val, err := d.value(v, join(path, key), depth+1)
		if err != nil {
			return nil, err
		}
		out[key] = val
	}
	for _, m := range merges {
		if err := d.merge(out, m, path, depth); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// merge adds the keys of a "<<" value (a mapping, an alias to one, or a
// sequence of those) that out does not have yet.
func (d *decoder) merge(out map[string]any, m *yaml.Node, path string, depth int) error {
	v, err := d.value(m, path, depth+1)
	if err != nil {
		return err
	}
	var maps []any
	switch t := v.(type) {
	case map[string]any:
		maps = []any{t}
	case []any:
		maps = t
	}
	if len(maps) == 0 {
		return &decodeError{field: join(path, "<<"), msg: fmt.Sprintf("line %d: a merge key takes a mapping or a list of mappings", m.Line)}
	}
	for _, e := range maps {
		mm, ok := e.(map[string]any)
		if !ok {
			return &decodeError{field: join(path, "<<"), msg: fmt.Sprintf("line %d: a merge key takes a mapping or a list of mappings", m.Line)}
		}
		for k, val := range mm {
			if _, set := out[k]; !set {
				out[k] = val
			}
		}
	}
	return nil
}

// scalarValue resolves a scalar as YAML 1.2's core schema does (what
// yaml.v3 decodes into an interface), refusing numbers JSON cannot carry.
func scalarValue(n *yaml.Node, path string) (any, error) {
	switch n.ShortTag() {
	case "!!str":
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!timestamp":
		// As yaml.v3 decodes it into an interface: the text, which
		// encoding/json parses where a time.Time is wanted.
		return n.Value, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, &decodeError{field: fieldOrRoot(path), msg: fmt.Sprintf("line %d: %v", n.Line, trimYAML(err))}
	}
	switch t := v.(type) {
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, &decodeError{field: fieldOrRoot(path), msg: fmt.Sprintf("%s is not a finite number", n.Value)}
		}
	case int:
		return int64(t), nil
	case uint64:
		if t > math.MaxInt64 {
			return float64(t), nil
		}
		return int64(t), nil
	case []byte:
		return string(t), nil
	}
	return v, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldOrRoot names the field at path in an error: "(document)" for the
// root, and at most maxFieldText characters of a deeply nested path.
func fieldOrRoot(path string) string {
	switch {
	case path == "":
		return "(document)"
	case len(path) > maxFieldText:
		return path[:maxFieldText] + "…"
	}
	return path
}

const maxFieldText = 120
