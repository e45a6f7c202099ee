package notify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoSecretKey is wrapped by SecretReader errors for a key the Secret
// does not have.
var ErrNoSecretKey = errors.New("no such secret key")

// SecretReader reads one key of a Secret.
type SecretReader interface {
	Read(namespace, name, key string) (string, error)
}

// SecretDir reads Secrets mounted under a directory, one directory per
// namespace and Secret, one file per key: <dir>/<namespace>/<name>/<key>,
// the layout of a Secret mounted as a volume. Values are read at each use,
// so a rotated Secret is picked up; surrounding whitespace is trimmed.
type SecretDir string

// Read returns the value of the key. Errors name the file, never its
// content.
func (d SecretDir) Read(namespace, name, key string) (string, error) {
	if d == "" {
		return "", errors.New("no credentials directory configured")
	}
	for _, part := range []string{namespace, name, key} {
		if part == "" || part == "." || part == ".." || strings.ContainsAny(part, `/\`) {
			return "", fmt.Errorf("secret %s/%s key %q: invalid name", namespace, name, key)
		}
	}
	path := filepath.Join(string(d), namespace, name, key)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("secret %s/%s has no key %q (%s): %w", namespace, name, key, path, ErrNoSecretKey)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("secret %s/%s key %q (%s): %w", namespace, name, key, path, err)
	}
	return strings.TrimSpace(string(b)), nil
}
