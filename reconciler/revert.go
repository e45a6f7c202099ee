package reconciler

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/templates"
)

// fileReader reads a repository file.
type fileReader interface {
	ReadFile(path string) ([]byte, error)
}

// revertInputs puts the target's inputs back to the state they had in the
// promoted commit, touching only what makes a revision: the target's pod
// template, the data of tracked ConfigMaps and Secrets, a kustomization's
// images, generators and patches, and non-YAML files the render read
// (generator sources, patch files). Everything else in those files,
// comments included, is kept.
//
// Only files inside appDir, the folder of the canary's app, are edited: a
// file outside it (a base shared with other apps, e.g. staging's) is never
// reverted for one canary. Those that changed since the promotion are
// returned in outside, for the commit to say so.
func revertInputs(cur, promoted fileReader, appDir string, paths []string, set []templates.Revertible) (changes map[string][]byte, outside []string, err error) {
	changes = map[string][]byte{}
	for _, p := range paths {
		now, err := cur.ReadFile(p)
		if err != nil {
			continue // the file is gone: nothing to put back into
		}
		old, err := promoted.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // new since the promotion; other objects may live there
		}
		if err != nil {
			return nil, nil, err
		}
		if bytes.Equal(now, old) {
			continue
		}
		if !inDir(appDir, p) {
			outside = append(outside, p)
			continue
		}
		if !isYAML(p) && !isKustomization(p) {
			changes[p] = old
			continue
		}
		out, changed, err := revertYAML(now, old, set)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		if changed {
			changes[p] = out
		}
	}
	return changes, outside, nil
}

// inDir reports whether the repository path p lies inside dir.
func inDir(dir, p string) bool {
	return dir == "" || dir == "." || strings.HasPrefix(p, dir+"/")
}

func isKustomization(p string) bool {
	for _, n := range kustomizationFiles {
		if path.Base(p) == n {
			return true
		}
	}
	return false
}

// revertYAML copies the revision-making fields of old's documents over now's.
func revertYAML(now, old []byte, set []templates.Revertible) ([]byte, bool, error) {
	nowDocs, err := readDocs(now)
	if err != nil {
		return nil, false, err
	}
	oldDocs, err := readDocs(old)
	if err != nil {
		return nil, false, err
	}
	changed := false
	for _, n := range nowDocs {
		o := findDoc(oldDocs, n.GetKind(), n.GetName())
		if o == nil {
			continue
		}
		var fields [][]string
		for _, r := range set {
			if r.Kind == n.GetKind() && r.Name == n.GetName() {
				fields = r.Fields
			}
		}
		if n.GetKind() == "Kustomization" {
			fields = [][]string{{"images"}, {"configMapGenerator"}, {"secretGenerator"},
				{"patches"}, {"patchesStrategicMerge"}, {"patchesJson6902"}}
		}
		for _, f := range fields {
			c, err := copyField(n, o, f)
			if err != nil {
				return nil, false, fmt.Errorf("%s %s: %s: %w", n.GetKind(), n.GetName(), f, err)
			}
			changed = changed || c
		}
	}
	if !changed {
		return now, false, nil
	}
	out, err := writeDocs(nowDocs)
	return out, true, err
}

func findDoc(docs []*yaml.RNode, kind, name string) *yaml.RNode {
	for _, d := range docs {
		if d.GetKind() == kind && d.GetName() == name {
			return d
		}
	}
	return nil
}

// copyField sets dst's field to src's, or removes it when src lacks it.
func copyField(dst, src *yaml.RNode, field []string) (bool, error) {
	sv, err := src.Pipe(yaml.Lookup(field...))
	if err != nil {
		return false, err
	}
	dv, err := dst.Pipe(yaml.Lookup(field...))
	if err != nil {
		return false, err
	}
	if sv == nil && dv == nil {
		return false, nil
	}
	if sv != nil && dv != nil {
		a, _ := sv.String()
		b, _ := dv.String()
		if a == b {
			return false, nil
		}
	}
	parent, err := dst.Pipe(yaml.Lookup(field[:len(field)-1]...))
	if err != nil || parent == nil {
		return false, err
	}
	last := field[len(field)-1]
	if sv == nil {
		_, err := parent.Pipe(yaml.Clear(last))
		return true, err
	}
	return true, parent.PipeE(yaml.SetField(last, sv.Copy()))
}
