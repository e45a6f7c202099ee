package analysis

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
)

// QuerierFactory returns the Querier of a metrics server other than the
// default one: a MetricTemplate's provider (namespace is the template's,
// where its secretRef lives) or a canary's spec.metricsServer.
type QuerierFactory interface {
	Querier(p Provider, namespace string) (Querier, error)
}

// QuerierFactoryFunc adapts a function to the QuerierFactory interface.
type QuerierFactoryFunc func(p Provider, namespace string) (Querier, error)

// Querier calls f(p, namespace).
func (f QuerierFactoryFunc) Querier(p Provider, namespace string) (Querier, error) {
	return f(p, namespace)
}

// PrometheusFactory is the QuerierFactory for prometheus providers. It
// keeps one client per distinct provider.
//
// Kubernetes Secrets are not in Git, so a secretRef is resolved from files:
// CredentialsDir/<namespace>/<secret name>/ holds "token" (bearer token) or
// "username" and "password" (basic auth) — the layout of a Secret mounted
// as a volume.
type PrometheusFactory struct {
	credentialsDir string
	opts           []Option

	mu      sync.Mutex
	clients map[string]*Prometheus
}

// NewPrometheusFactory returns a factory whose clients use opts (transport,
// timeout, logger). credentialsDir may be empty when no template has a
// secretRef.
func NewPrometheusFactory(credentialsDir string, opts ...Option) *PrometheusFactory {
	return &PrometheusFactory{credentialsDir: credentialsDir, opts: opts, clients: map[string]*Prometheus{}}
}

var dnsName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

// Querier implements QuerierFactory.
func (f *PrometheusFactory) Querier(p Provider, namespace string) (Querier, error) {
	if p.Type != ProviderPrometheus {
		return nil, fmt.Errorf("provider %q is not supported yet (supported: %s)", p.Type, ProviderPrometheus)
	}
	opts := append([]Option(nil), f.opts...)
	key := p.Address + "\x00" + strconv.FormatBool(p.InsecureSkipVerify)
	if p.InsecureSkipVerify {
		opts = append(opts, WithInsecureSkipVerify())
	}
	if p.SecretRef != nil {
		dir, err := f.secretDir(namespace, p.SecretRef.Name)
		if err != nil {
			return nil, err
		}
		key += "\x00" + dir
		switch {
		case exists(filepath.Join(dir, "token")):
			opts = append(opts, WithBearerTokenFile(filepath.Join(dir, "token")))
		case exists(filepath.Join(dir, "username")) && exists(filepath.Join(dir, "password")):
			opts = append(opts, WithBasicAuthFiles(filepath.Join(dir, "username"), filepath.Join(dir, "password")))
		default:
			return nil, fmt.Errorf("secret %s/%s: %s has neither a token file nor username and password files", namespace, p.SecretRef.Name, dir)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.clients[key]; ok {
		return c, nil
	}
	c, err := NewPrometheus(p.Address, opts...)
	if err != nil {
		return nil, err
	}
	f.clients[key] = c
	return c, nil
}

func (f *PrometheusFactory) secretDir(namespace, name string) (string, error) {
	if f.credentialsDir == "" {
		return "", fmt.Errorf("secret %s/%s: no credentials directory configured to read it from", namespace, name)
	}
	if !dnsName.MatchString(namespace) || !dnsName.MatchString(name) {
		return "", fmt.Errorf("secret %q in namespace %q: not a valid Kubernetes name", name, namespace)
	}
	return filepath.Join(f.credentialsDir, namespace, name), nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
