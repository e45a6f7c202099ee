package analysis

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-logr/logr"
	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// DefaultQueryTimeout bounds one query when WithTimeout is not given.
const DefaultQueryTimeout = 10 * time.Second

// Prometheus is a Querier over the Prometheus HTTP API.
//
// A vector result with several series yields the value of the last series
// in the response, as Flagger does; write queries that aggregate to one
// series (sum, histogram_quantile ... by (le)). A scalar result is used
// as is. An empty vector, NaN or ±Inf is ErrNoValuesFound. Query warnings
// do not fail the query; they are logged when a logger is given.
type Prometheus struct {
	api     promv1.API
	address string // redacted, for messages
	timeout time.Duration
	log     logr.Logger
}

// Option configures a Prometheus client.
type Option func(*promOptions)

type promOptions struct {
	rt       http.RoundTripper
	timeout  time.Duration
	creds    func() (Credentials, error)
	headers  http.Header
	insecure bool
	log      logr.Logger
}

// WithRoundTripper sets the HTTP transport (default: client_golang's
// api.DefaultRoundTripper). Credentials options wrap it.
func WithRoundTripper(rt http.RoundTripper) Option {
	return func(o *promOptions) { o.rt = rt }
}

// WithTimeout bounds each query (default DefaultQueryTimeout). The timeout
// is also sent to Prometheus so that it gives up on the query too.
func WithTimeout(d time.Duration) Option {
	return func(o *promOptions) { o.timeout = d }
}

// WithBearerTokenFile sends "Authorization: Bearer <token>" with the token
// read from path on every request, so a rotated token (a mounted
// ServiceAccount token) is picked up. The token is never logged nor put in
// errors.
func WithBearerTokenFile(path string) Option {
	return WithCredentials(func() (Credentials, error) {
		t, err := readSecretFile(path)
		return Credentials{Token: t}, err
	})
}

// WithBasicAuthFiles sends HTTP basic auth with the username and password
// read from the two files on every request (a mounted Secret's "username"
// and "password" keys). The password is never logged nor put in errors.
func WithBasicAuthFiles(usernameFile, passwordFile string) Option {
	return WithCredentials(func() (Credentials, error) {
		u, err := readSecretFile(usernameFile)
		if err != nil {
			return Credentials{}, err
		}
		p, err := readSecretFile(passwordFile)
		return Credentials{Username: u, Password: p}, err
	})
}

// WithCredentials authenticates every request with the credentials f
// returns, called per request so that rotated Secrets are picked up.
func WithCredentials(f func() (Credentials, error)) Option {
	return func(o *promOptions) { o.creds = f }
}

// WithHeaders adds headers to every request (a MetricTemplate's
// provider.headers).
func WithHeaders(h http.Header) Option {
	return func(o *promOptions) { o.headers = h }
}

// WithInsecureSkipVerify disables TLS certificate verification, as a
// MetricTemplate's provider.insecureSkipVerify asks. It needs the round
// tripper to be an *http.Transport (the default is).
func WithInsecureSkipVerify() Option {
	return func(o *promOptions) { o.insecure = true }
}

// WithLogger logs query warnings and infos returned by Prometheus.
func WithLogger(log logr.Logger) Option {
	return func(o *promOptions) { o.log = log }
}

// NewPrometheus returns a client for the Prometheus server at address
// (http or https URL, optionally with a path prefix).
func NewPrometheus(address string, opts ...Option) (*Prometheus, error) {
	o := promOptions{timeout: DefaultQueryTimeout, rt: promapi.DefaultRoundTripper, log: logr.Discard()}
	for _, opt := range opts {
		opt(&o)
	}
	u, err := parseAddress(address)
	if err != nil {
		return nil, fmt.Errorf("prometheus %w", err)
	}
	if o.timeout <= 0 {
		return nil, fmt.Errorf("prometheus query timeout must be positive, got %s", o.timeout)
	}
	rt := o.rt
	if o.insecure {
		t, ok := rt.(*http.Transport)
		if !ok {
			return nil, fmt.Errorf("insecureSkipVerify needs an *http.Transport round tripper, got %T", rt)
		}
		t = t.Clone()
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{}
		}
		t.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // asked for by the MetricTemplate
		rt = t
	}
	if o.creds != nil || len(o.headers) > 0 {
		rt = &authRoundTripper{next: rt, creds: o.creds, headers: o.headers}
	}
	client, err := promapi.NewClient(promapi.Config{Address: u.String(), RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", u.Redacted(), err)
	}
	return &Prometheus{
		api:     promv1.NewAPI(client),
		address: u.Redacted(),
		timeout: o.timeout,
		log:     o.log,
	}, nil
}

// parseAddress validates a metrics server address. Its errors never repeat
// the address verbatim, since it may carry user:password.
func parseAddress(address string) (*url.URL, error) {
	if address == "" {
		return nil, errors.New("address is empty")
	}
	u, err := url.Parse(address)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("address is not a valid URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("address %s: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("address %s: host is missing", u.Redacted())
	}
	return u, nil
}

// Address returns the server address with any password redacted.
func (p *Prometheus) Address() string { return p.address }

// Query runs an instant query at time t (zero: the server's now).
// Whitespace runs in the query are collapsed to one space, as Flagger does.
func (p *Prometheus) Query(ctx context.Context, query string, t time.Time) (float64, error) {
	query = strings.Join(strings.Fields(query), " ")
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	v, warnings, infos, err := p.api.Query(ctx, query, t, promv1.WithTimeout(p.timeout))
	if len(warnings) > 0 {
		p.log.Info("prometheus query returned warnings", "server", p.address, "query", query, "warnings", []string(warnings))
	}
	if len(infos) > 0 {
		p.log.V(1).Info("prometheus query returned infos", "server", p.address, "query", query, "infos", []string(infos))
	}
	if err != nil {
		return 0, fmt.Errorf("request failed: %w", err)
	}
	return p.value(query, v)
}

// QueryRange runs a range query and returns the values of its series, in
// time order; NaN and ±Inf samples are left out. A result with several
// series is ErrMultipleValues: a comparison needs one series.
func (p *Prometheus) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]float64, error) {
	query = strings.Join(strings.Fields(query), " ")
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	v, warnings, _, err := p.api.QueryRange(ctx, query, promv1.Range{Start: start, End: end, Step: step}, promv1.WithTimeout(p.timeout))
	if len(warnings) > 0 {
		p.log.Info("prometheus query returned warnings", "server", p.address, "query", query, "warnings", []string(warnings))
	}
	if err != nil {
		return nil, fmt.Errorf("request failed: %w", err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("range query returned a %s, want a matrix", v.Type())
	}
	switch {
	case len(m) == 0:
		return nil, ErrNoValuesFound
	case len(m) > 1:
		return nil, fmt.Errorf("range query returned %d series, want one: %w", len(m), ErrMultipleValues)
	}
	out := make([]float64, 0, len(m[0].Values))
	for _, s := range m[0].Values {
		if f := float64(s.Value); !math.IsNaN(f) && !math.IsInf(f, 0) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, ErrNoValuesFound
	}
	return out, nil
}

// IsOnline runs Flagger's online query, vector(1), and wants 1.
func (p *Prometheus) IsOnline(ctx context.Context) error {
	return online(ctx, p)
}

// prometheusType: Flagger's prometheus provider. Its Secret holds "token"
// (bearer) or "username" and "password" (basic auth). Without an address
// the template runs on run --prometheus.
var prometheusType = providerType{
	name:     ProviderPrometheus,
	keys:     []string{"token", "username", "password"},
	sampling: SampleRange,
	build:    buildPrometheus,
}

func buildPrometheus(c providerConfig) (Querier, error) {
	opts := []Option{WithRoundTripper(c.client.Transport)}
	if c.InsecureSkipVerify {
		opts = append(opts, WithInsecureSkipVerify())
	}
	if len(c.Headers) > 0 {
		opts = append(opts, WithHeaders(http.Header(c.Headers)))
	}
	if c.SecretRef != nil {
		opts = append(opts, WithCredentials(func() (Credentials, error) {
			if t, ok, err := c.optionalKey("token"); ok || err != nil {
				return Credentials{Token: t}, err
			}
			u, err := c.key("username")
			if err != nil {
				return Credentials{}, fmt.Errorf("%w (or the key token)", err)
			}
			pw, err := c.key("password")
			return Credentials{Username: u, Password: pw}, err
		}))
	}
	return NewPrometheus(c.Address, opts...)
}

func (p *Prometheus) value(query string, v model.Value) (float64, error) {
	var f float64
	switch r := v.(type) {
	case model.Vector:
		if len(r) == 0 {
			return 0, ErrNoValuesFound
		}
		if len(r) > 1 {
			p.log.V(1).Info("prometheus query returned several series, using the last one", "server", p.address, "query", query, "series", len(r))
		}
		f = float64(r[len(r)-1].Value)
	case *model.Scalar:
		f = float64(r.Value)
	case nil:
		return 0, ErrNoValuesFound
	default:
		return 0, fmt.Errorf("query returned a %s, want an instant vector or a scalar", v.Type())
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, ErrNoValuesFound
	}
	return f, nil
}
