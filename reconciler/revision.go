package reconciler

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// revisionLen is how many hex digits of the hash name a revision, as in the
// Canary-Revision trailer.
const revisionLen = 8

// revision hashes what makes a new version of the target: its pod template
// and the content of the configs it references. The hash is over canonical
// JSON (sorted keys), never over Go structs, so upgrading gitcanary never
// changes a revision and re-triggers canaries.
func revision(target *yaml.RNode, configs []*yaml.RNode) (string, map[string]string, error) {
	tmpl, err := target.Pipe(yaml.Lookup("spec", "template"))
	if err != nil || tmpl == nil {
		return "", nil, fmt.Errorf("%s %s has no spec.template", target.GetKind(), target.GetName())
	}
	h := sha256.New()
	if err := canonical(h, tmpl); err != nil {
		return "", nil, err
	}
	tracked := make(map[string]string, len(configs))
	for _, c := range configs {
		ch := sha256.New()
		for _, field := range []string{"data", "binaryData", "stringData"} {
			n, err := c.Pipe(yaml.Lookup(field))
			if err != nil {
				return "", nil, err
			}
			fmt.Fprintf(ch, "%s:", field)
			if n != nil {
				if err := canonical(ch, n); err != nil {
					return "", nil, err
				}
			}
		}
		tracked[c.GetKind()+"/"+c.GetName()] = hex.EncodeToString(ch.Sum(nil))[:revisionLen]
	}
	keys := make([]string, 0, len(tracked))
	for k := range tracked {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "\n%s=%s", k, tracked[k])
	}
	if len(tracked) == 0 {
		tracked = nil
	}
	return hex.EncodeToString(h.Sum(nil))[:revisionLen], tracked, nil
}

// canonical writes the node as JSON with sorted keys.
func canonical(w interface{ Write([]byte) (int, error) }, n *yaml.RNode) error {
	js, err := n.MarshalJSON()
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		return err
	}
	out, err := json.Marshal(v) // encoding/json sorts map keys
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}
