// Package secrets reads the Kubernetes Secrets that MetricTemplates and
// AlertProviders reference. gitcanary never calls the Kubernetes API and
// never reads secrets from Git: Secrets are mounted into its pod as
// volumes, one directory per namespace and Secret, one file per key.
package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoKey is wrapped by Reader errors for a key the Secret does not have.
var ErrNoKey = errors.New("no such secret key")

// Reader reads one key of a Secret.
type Reader interface {
	Read(namespace, name, key string) (string, error)
}

// ReaderFunc adapts a function to the Reader interface.
type ReaderFunc func(namespace, name, key string) (string, error)

// Read calls f(namespace, name, key).
func (f ReaderFunc) Read(namespace, name, key string) (string, error) { return f(namespace, name, key) }

// Dir reads Secrets mounted under a directory: key <key> of Secret <name>
// in namespace <ns> is the file <dir>/<ns>/<name>/<key>, the layout of a
// Secret mounted as a volume. Values are read at each use, so a rotated
// Secret is picked up; surrounding whitespace is trimmed.
type Dir string

// Read returns the value of the key. Errors name the file, never its
// content.
func (d Dir) Read(namespace, name, key string) (string, error) {
	if d == "" {
		return "", fmt.Errorf("secret %s/%s: no secrets directory configured to read key %q from", namespace, name, key)
	}
	for _, part := range []string{namespace, name, key} {
		if part == "" || part == "." || part == ".." || strings.ContainsAny(part, "/\\\x00") {
			return "", fmt.Errorf("secret %q in namespace %q key %q: invalid name", name, namespace, key)
		}
	}
	path := filepath.Join(string(d), namespace, name, key)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("secret %s/%s has no key %q (%s): %w", namespace, name, key, path, ErrNoKey)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("secret %s/%s key %q (%s): %w", namespace, name, key, path, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("secret %s/%s key %q (%s) is empty", namespace, name, key, path)
	}
	return v, nil
}
