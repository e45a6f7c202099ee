package analysis

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gitcanary/gitcanary/analysis/secrets"
)

// QuerierFactory returns the Querier of a metrics server other than the
// default one: a MetricTemplate's provider (namespace is the template's,
// where its secretRef lives; interval is the metric's, the window
// providers such as Datadog query over) or a canary's spec.metricsServer.
type QuerierFactory interface {
	Querier(p Provider, namespace string, interval time.Duration) (Querier, error)
}

// QuerierFactoryFunc adapts a function to the QuerierFactory interface.
type QuerierFactoryFunc func(p Provider, namespace string, interval time.Duration) (Querier, error)

// Querier calls f(p, namespace, interval).
func (f QuerierFactoryFunc) Querier(p Provider, namespace string, interval time.Duration) (Querier, error) {
	return f(p, namespace, interval)
}

// Factory builds the Querier of every MetricTemplate provider type. Keep
// one per process: its HTTP clients, and their connections, are shared.
// Queriers are cheap and built per evaluation, so a rotated Secret is read
// again at the next check.
//
// Kubernetes Secrets are not in Git: a secretRef is read through a
// secrets.Reader, in production secrets.Dir (run --secrets-dir).
type Factory struct {
	secrets  secrets.Reader
	client   *http.Client
	insecure *http.Client
	now      func() time.Time
}

// FactoryOption configures a Factory.
type FactoryOption func(*Factory)

// WithHTTPClient sets the client providers use (default: one with its own
// transport and DefaultQueryTimeout). Templates with insecureSkipVerify
// get a copy whose transport skips certificate checks.
func WithHTTPClient(c *http.Client) FactoryOption {
	return func(f *Factory) { f.client = c }
}

// WithFactoryClock sets the clock that ends the query windows of
// providers asked for "now" (default time.Now).
func WithFactoryClock(now func() time.Time) FactoryOption {
	return func(f *Factory) { f.now = now }
}

// NewFactory returns a Factory reading Secrets with s (nil: templates with
// a secretRef fail, saying no secrets directory is configured).
func NewFactory(s secrets.Reader, opts ...FactoryOption) *Factory {
	f := &Factory{secrets: s, now: time.Now}
	for _, o := range opts {
		o(f)
	}
	if f.secrets == nil {
		f.secrets = secrets.Dir("")
	}
	if f.client == nil {
		f.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: DefaultQueryTimeout}
	}
	f.insecure = insecureCopy(f.client)
	return f
}

// insecureCopy returns c with certificate verification off, when its
// transport allows it.
func insecureCopy(c *http.Client) *http.Client {
	t, ok := c.Transport.(*http.Transport)
	if !ok {
		return c
	}
	t = t.Clone()
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	t.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // asked for by the MetricTemplate
	cc := *c
	cc.Transport = t
	return &cc
}

var dnsName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

// Querier implements QuerierFactory.
func (f *Factory) Querier(p Provider, namespace string, interval time.Duration) (Querier, error) {
	pt, ok := lookupProvider(p.Type)
	switch {
	case !ok:
		return nil, fmt.Errorf("unknown provider type %q (supported: %s)", p.Type, strings.Join(ProviderTypes(), ", "))
	case pt.unsupported != "":
		return nil, fmt.Errorf("provider %s is not supported yet: %s", p.Type, pt.unsupported)
	}
	c := providerConfig{Provider: p, namespace: namespace, interval: interval, client: f.client, now: f.now}
	if p.InsecureSkipVerify {
		c.client = f.insecure
	}
	if c.interval <= 0 {
		c.interval = time.Minute
	}
	if p.SecretRef != nil {
		if !dnsName.MatchString(namespace) || !dnsName.MatchString(p.SecretRef.Name) {
			return nil, fmt.Errorf("secret %q in namespace %q: not a valid Kubernetes name", p.SecretRef.Name, namespace)
		}
		name := p.SecretRef.Name
		c.secret = func(key string) (string, error) { return f.secrets.Read(namespace, name, key) }
	}
	return pt.build(c)
}
