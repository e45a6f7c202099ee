package reconciler

import (
	"bytes"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// readDocs parses a YAML file keeping comments and sequence indentation.
func readDocs(data []byte) ([]*yaml.RNode, error) {
	return (&kio.ByteReader{
		Reader:            bytes.NewReader(data),
		PreserveSeqIndent: true,
	}).Read()
}

// writeDocs is the inverse of readDocs.
func writeDocs(nodes []*yaml.RNode) ([]byte, error) {
	var buf bytes.Buffer
	if err := (kio.ByteWriter{Writer: &buf}).Write(nodes); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Fields of the app's kustomization that list what gitcanary generated for
// a canary: its component, and its images transformer (see
// templates.ImagesFile).
const (
	componentsField   = "components"
	transformersField = "transformers"
)

// wireComponent adds comp to the kustomization's components, keeping the
// rest of the file (comments, order, indentation) as it was. It reports
// whether the file changed.
func wireComponent(path string, data []byte, comp string) ([]byte, bool, error) {
	return wireEntry(path, data, componentsField, comp)
}

// wireEntry appends entry to the kustomization's list field, keeping the
// rest of the file (comments, order, indentation) as it was. It reports
// whether the file changed.
func wireEntry(path string, data []byte, field, entry string) ([]byte, bool, error) {
	docs, err := readDocs(data)
	if err != nil || len(docs) != 1 {
		return nil, false, fmt.Errorf("%s: not a single kustomization document: %v", path, err)
	}
	k := docs[0]
	seq, err := k.Pipe(yaml.LookupCreate(yaml.SequenceNode, field))
	if err != nil {
		return nil, false, fmt.Errorf("%s: %s: %w", path, field, err)
	}
	for _, e := range seq.YNode().Content {
		if e.Value == entry {
			return data, false, nil
		}
	}
	seq.YNode().Style = 0
	seq.YNode().Content = append(seq.YNode().Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: entry})
	out, err := writeDocs(docs)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return out, true, nil
}

// unwireEntry removes entry from the kustomization's list field, and the
// field when entry was its only one (as it was before wireEntry added it),
// keeping the rest of the file as it was. It reports whether the file
// changed.
func unwireEntry(path string, data []byte, field, entry string) ([]byte, bool, error) {
	docs, err := readDocs(data)
	if err != nil || len(docs) != 1 {
		return nil, false, fmt.Errorf("%s: not a single kustomization document: %v", path, err)
	}
	k := docs[0]
	seq, err := k.Pipe(yaml.Lookup(field))
	if err != nil {
		return nil, false, fmt.Errorf("%s: %s: %w", path, field, err)
	}
	if seq == nil {
		return data, false, nil
	}
	content := seq.YNode().Content
	kept := content[:0:0]
	for _, e := range content {
		if e.Value != entry {
			kept = append(kept, e)
		}
	}
	if len(kept) == len(content) {
		return data, false, nil
	}
	if len(kept) == 0 {
		if err := k.PipeE(yaml.Clear(field)); err != nil {
			return nil, false, fmt.Errorf("%s: %s: %w", path, field, err)
		}
	} else {
		seq.YNode().Content = kept
	}
	out, err := writeDocs(docs)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return out, true, nil
}
