package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ErrTooLarge means an input or the output of a render is beyond its
// [RenderLimits]: a file, all files read, the expansion of YAML aliases, or
// the rendered objects.
var ErrTooLarge = errors.New("beyond the render limits")

// nodeCost is what one node weighs in [CheckYAML]'s count, besides its
// scalar: about what it takes once serialised.
const nodeCost = 16

// CheckYAML parses data as a stream of YAML documents without expanding
// anything, and refuses what would cost kustomize more than limits allow
// once parsed: aliases that would add more than limits.AliasExpansion bytes
// once expanded (the "billion laughs" alias bomb) or that refer to a node
// holding them, and mappings of more than limits.MappingKeys keys (kyaml's
// handling of a mapping is quadratic in its keys). Data that is not YAML
// passes: kustomize says what is wrong with it, and does not expand what it
// cannot parse. The check is linear in len(data); its errors wrap
// [ErrTooLarge]. Zero limits are the defaults.
func CheckYAML(data []byte, limits RenderLimits) error {
	limits = RenderOptions{Limits: limits}.withDefaults().Limits
	if len(data) <= limits.MappingKeys && bytes.IndexByte(data, '*') < 0 {
		// Nothing to refuse, without parsing: an alias needs a '*', and
		// every key of a mapping takes at least one byte of its own (its
		// text, or the ':' or ',' that marks an empty one). Most
		// manifests are such files.
		return nil
	}
	return checkYAMLDocs(data, limits)
}

// checkYAMLDocs is [CheckYAML]'s parse of every document, with limits
// defaulted.
func checkYAMLDocs(data []byte, limits RenderLimits) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 1; ; doc++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil
		}
		s := expansion{size: map[*yaml.Node]int64{}, open: map[*yaml.Node]bool{}, limit: limits.AliasExpansion, keys: limits.MappingKeys}
		expanded, err := s.of(&n)
		if err == nil && expanded-s.written > limits.AliasExpansion {
			err = errExpansion(limits.AliasExpansion)
		}
		if err != nil {
			return fmt.Errorf("document %d: %w", doc, err)
		}
	}
}

func errExpansion(limit int64) error {
	return fmt.Errorf("%w: YAML aliases expand to more than %d bytes", ErrTooLarge, limit)
}

// expansion sizes YAML nodes with their aliases expanded, each node once.
type expansion struct {
	size    map[*yaml.Node]int64 // expanded size of nodes done
	open    map[*yaml.Node]bool  // nodes being sized: an alias to one is a cycle
	written int64                // size of the nodes as written
	limit   int64
	keys    int
}

func (e *expansion) of(n *yaml.Node) (int64, error) {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nodeCost, nil
		}
		e.written += nodeCost
		return e.target(n.Alias)
	}
	return e.target(n)
}

// target sizes a node that is not an alias, or is the anchor an alias
// names.
func (e *expansion) target(n *yaml.Node) (int64, error) {
	if v, ok := e.size[n]; ok {
		return v, nil
	}
	if e.open[n] {
		return 0, fmt.Errorf("%w: a YAML alias refers to a node that holds it", ErrTooLarge)
	}
	if n.Kind == yaml.MappingNode && len(n.Content)/2 > e.keys {
		return 0, fmt.Errorf("%w: the mapping at line %d has %d keys, more than %d", ErrTooLarge, n.Line, len(n.Content)/2, e.keys)
	}
	e.open[n] = true
	own := nodeCost + int64(len(n.Value))
	e.written += own
	total := own
	for _, c := range n.Content {
		v, err := e.of(c)
		if err != nil {
			return 0, err
		}
		total += v
		// An alias bomb's expansion grows by multiplication: stop as soon
		// as this node alone expands beyond all that is written so far by
		// more than the limit (the whole document can only expand more).
		if total-e.written > e.limit {
			return 0, errExpansion(e.limit)
		}
	}
	delete(e.open, n)
	e.size[n] = total
	return total, nil
}
