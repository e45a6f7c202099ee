package gitops

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ErrRemoteBase means a kustomization names a remote resource (a git
// repository or an http(s) file) while remote bases are refused
// ([RenderOptions].NoRemoteBases).
var ErrRemoteBase = errors.New("remote resource refused (--no-remote-bases)")

// scpLikeRemote matches git's scp-like syntax, user@host:path, which
// kustomize clones.
var scpLikeRemote = regexp.MustCompile(`^[^/@:]+@[^/:]+:`)

// IsRemoteResource reports whether kustomize would fetch entry, a path of a
// kustomization (a resource, a patch, a generator's file), from the
// network: a URL (http, https, ssh, git, file), git's scp-like syntax, a
// go-getter "git::" prefix or a github.com/org/repo shorthand. It errs on
// the side of remote.
func IsRemoteResource(entry string) bool {
	e := strings.ToLower(strings.TrimSpace(entry))
	return strings.Contains(e, "://") || strings.HasPrefix(e, "git::") ||
		strings.HasPrefix(e, "github.com/") || strings.HasPrefix(e, "github.com:") ||
		scpLikeRemote.MatchString(e)
}

// pathFields are the fields of a kustomization whose strings are paths
// (or, for patchesStrategicMerge, inline patches), and fieldsWithPath the
// lists of objects whose "path" is one.
var (
	pathFields     = []string{"resources", "bases", "components", "crds", "configurations", "generators", "transformers", "validators", "patchesStrategicMerge"}
	fieldsWithPath = []string{"patches", "patchesJson6902", "replacements"}
	generators     = []string{"configMapGenerator", "secretGenerator"}
)

// RemoteResources returns the entries of the kustomization file at p (read
// from fsys) that kustomize would fetch from the network, each as
// "field[i]: entry"; dirs are its local entries that are directories
// (bases and components to look into).
func RemoteResources(fsys filesys.FileSystem, p string) (remote, dirs []string, err error) {
	data, err := fsys.ReadFile(p)
	if err != nil {
		return nil, nil, err
	}
	var k map[string]any
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", p, err)
	}
	found := func(field string, i int, entry string) {
		if entry == "" || strings.Contains(entry, "\n") {
			return // an inline patch
		}
		if IsRemoteResource(entry) {
			remote = append(remote, fmt.Sprintf("%s[%d]: %s", field, i, SanitizeURL(entry)))
		} else if field != "patchesStrategicMerge" && fsys.IsDir(path.Join(path.Dir(p), entry)) {
			dirs = append(dirs, path.Join(path.Dir(p), entry))
		}
	}
	for _, field := range pathFields {
		for i, v := range list(k[field]) {
			if s, ok := v.(string); ok {
				found(field, i, s)
			}
		}
	}
	for _, field := range fieldsWithPath {
		for i, v := range list(k[field]) {
			if m, ok := v.(map[string]any); ok {
				s, _ := m["path"].(string)
				found(field, i, s)
			}
		}
	}
	for _, field := range generators {
		for i, v := range list(k[field]) {
			m, _ := v.(map[string]any)
			for _, sub := range []string{"files", "envs", "env"} {
				entries := list(m[sub])
				if s, ok := m[sub].(string); ok {
					entries = []any{s}
				}
				for _, e := range entries {
					if s, ok := e.(string); ok {
						_, file, _ := strings.Cut(s, "=") // key=path
						if !strings.Contains(s, "=") {
							file = s
						}
						found(fmt.Sprintf("%s[%d].%s", field, i, sub), 0, file)
					}
				}
			}
		}
	}
	if m, ok := k["openapi"].(map[string]any); ok {
		if s, ok := m["path"].(string); ok {
			found("openapi.path", 0, s)
		}
	}
	return remote, dirs, nil
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// refuseRemote walks the kustomization in dir and the local bases and
// components it names, and refuses any remote resource among them with an
// error naming the kustomization file and the entry.
func refuseRemote(fsys filesys.FileSystem, dir string) error {
	seen := map[string]bool{}
	var walk func(dir string) error
	walk = func(dir string) error {
		dir = path.Clean(filepath.ToSlash(dir))
		if seen[dir] {
			return nil
		}
		seen[dir] = true
		file := ""
		for _, name := range konfig.RecognizedKustomizationFileNames() {
			if p := path.Join(dir, name); fsys.Exists(p) && !fsys.IsDir(p) {
				file = p
				break
			}
		}
		if file == "" {
			return nil // kustomize says what is missing
		}
		remote, dirs, err := RemoteResources(fsys, file)
		if err != nil {
			return err
		}
		if len(remote) > 0 {
			return fmt.Errorf("%s: %s: %w", strings.TrimPrefix(file, FSRoot), strings.Join(remote, ", "), ErrRemoteBase)
		}
		for _, d := range dirs {
			if err := walk(d); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(dir)
}

// RemoteResourcesUnder checks every kustomization file under root in fsys
// (skipping .git) and returns one error wrapping [ErrRemoteBase] per
// kustomization that names remote resources, naming the file (relative to
// root) and the entries. `validate --no-remote-bases` runs it on an
// untrusted checkout before rendering anything, so nothing is fetched.
func RemoteResourcesUnder(fsys filesys.FileSystem, root string) ([]error, error) {
	names := map[string]bool{}
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		names[n] = true
	}
	var problems []error
	err := fsys.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() && info.Name() == ".git" {
			return filepath.SkipDir
		}
		if info.IsDir() || !names[info.Name()] {
			return nil
		}
		remote, _, err := RemoteResources(fsys, p)
		if err != nil {
			return err
		}
		if len(remote) > 0 {
			rel, _ := filepath.Rel(root, p)
			problems = append(problems, fmt.Errorf("%s: %s: %w", filepath.ToSlash(rel), strings.Join(remote, ", "), ErrRemoteBase))
		}
		return nil
	})
	return problems, err
}
