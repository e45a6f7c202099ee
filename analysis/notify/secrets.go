package notify

import "github.com/gitcanary/gitcanary/analysis/secrets"

// ErrNoSecretKey is wrapped by SecretReader errors for a key the Secret
// does not have.
var ErrNoSecretKey = secrets.ErrNoKey

// SecretReader reads one key of a Secret.
type SecretReader = secrets.Reader

// SecretDir reads Secrets mounted under a directory (see secrets.Dir).
type SecretDir = secrets.Dir
