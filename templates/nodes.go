package templates

import (
	"bytes"
	"math"
	"sort"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The generated objects are built as YAML nodes in a fixed key order, so that
// the files come out the same whatever the order of Go maps.

// mapping returns a mapping node of the key/value pairs kv, in that order.
// Values are converted by node; empty ones are left out, like omitempty.
func mapping(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		if v := node(kv[i+1]); v != nil {
			m.Content = append(m.Content, str(kv[i].(string)), v)
		}
	}
	return m
}

// seq returns a sequence node of the non-nil items.
func seq(items ...*yaml.Node) *yaml.Node {
	s := &yaml.Node{Kind: yaml.SequenceNode}
	for _, it := range items {
		if it != nil {
			s.Content = append(s.Content, it)
		}
	}
	return s
}

func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode}
	n.SetString(s)
	return n
}

func integer(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: strconv.FormatInt(i, 10)}
}

// node converts a Go value to a node. It returns nil for nil, "" and empty
// collections. Maps are written with sorted keys.
func node(v any) *yaml.Node {
	switch t := v.(type) {
	case nil:
		return nil
	case *yaml.Node:
		if t == nil || (t.Kind != yaml.ScalarNode && len(t.Content) == 0) {
			return nil
		}
		return t
	case *yaml.RNode:
		if t == nil {
			return nil
		}
		return node(t.YNode())
	case string:
		if t == "" {
			return nil
		}
		return str(t)
	case int:
		return integer(int64(t))
	case int32:
		return integer(int64(t))
	case int64:
		return integer(t)
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: strconv.FormatBool(t)}
	case []string:
		s := seq()
		for _, e := range t {
			s.Content = append(s.Content, str(e))
		}
		return node(s)
	case map[string]string:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		m := mapping()
		for _, k := range keys {
			m.Content = append(m.Content, str(k), str(t[k]))
		}
		return node(m)
	}
	// Free-form values taken from the canary spec (trafficPolicy, match,
	// retries...): the YAML encoder sorts map keys.
	var n yaml.Node
	if err := n.Encode(integral(v)); err != nil {
		return nil
	}
	return node(&n)
}

// integral turns the float64 values that JSON decoding gives every number
// back into integers where they are whole, so that 1000000 is not written as
// 1e+06.
func integral(v any) any {
	switch t := v.(type) {
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return int64(t)
		}
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = integral(e)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = integral(e)
		}
		return s
	}
	return v
}

// meta returns an object's metadata.
func meta(name, namespace string, labels, annotations map[string]string) *yaml.Node {
	return mapping("name", name, "namespace", namespace, "labels", labels, "annotations", annotations)
}

// encode writes a file: the documents separated by "---", the first one
// under the header comment, with two-space indentation and sequences in the
// compact style kustomize and kubectl print. Everything, the header
// included, is written by the YAML encoder.
func encode(header string, docs ...*yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	for i, d := range docs {
		if i > 0 {
			b.WriteString("---\n")
		} else {
			d.HeadComment = header
		}
		s, err := yaml.String(d)
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
	}
	return b.Bytes(), nil
}

// stripComments removes the comments a rendered object may carry over from
// the user's files.
func stripComments(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		stripComments(c)
	}
}
