package analysis

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gitcanary/gitcanary/analysis/secrets"
)

// ErrMultipleValues is returned by a provider whose answer holds several
// series where the query must select one (Flagger's
// ErrMultipleValuesReturned).
var ErrMultipleValues = errors.New("multiple values returned")

// RangeQuerier is implemented by providers that return the samples of a
// query over a time range: the baseline comparison uses them. Samples are
// in time order; a step the server answers without a value is left out.
type RangeQuerier interface {
	QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]float64, error)
}

// OnlineChecker is implemented by providers that can tell whether they are
// reachable with the configured credentials, as Flagger's IsOnline does.
type OnlineChecker interface {
	IsOnline(ctx context.Context) error
}

// Sampling says how a provider's samples are taken for a baseline
// comparison.
type Sampling int

const (
	// SampleRange: the provider answers range queries (RangeQuerier).
	SampleRange Sampling = iota
	// SampleWindows: the provider's instant query covers the window
	// ending at a given time, so samples are instant queries at evenly
	// spaced times within the metric interval.
	SampleWindows
	// SampleChecks: the provider only answers "now"; one sample is taken
	// per check and the comparison uses the samples of the last checks.
	SampleChecks
)

// providerType describes one MetricTemplate provider type: what it needs
// and how it is built. Each lives in its own file.
type providerType struct {
	name string
	// addressRequired: the template must set spec.provider.address
	// (otherwise the provider has a default, or uses run --prometheus).
	addressRequired bool
	// keys are the secretRef keys the provider reads; with secretRequired
	// the template must name a Secret.
	keys           []string
	secretRequired bool
	regionRequired bool
	sampling       Sampling
	// unsupported, when set, says why gitcanary cannot run this type.
	unsupported string
	build       func(providerConfig) (Querier, error)
}

// providerTypes lists every MetricTemplate provider type Flagger has, plus
// signalfx (the name Splunk Observability had), in Flagger's order.
var providerTypes = []providerType{
	prometheusType,
	influxdbType,
	datadogType,
	externalMetricsType,
	stackdriverType,
	cloudwatchType,
	newrelicType,
	graphiteType,
	dynatraceType,
	keptnType,
	splunkType,
	signalfxType,
}

// lookupProvider returns the provider type named typ.
func lookupProvider(typ string) (providerType, bool) {
	i := slices.IndexFunc(providerTypes, func(p providerType) bool { return p.name == typ })
	if i < 0 {
		return providerType{}, false
	}
	return providerTypes[i], true
}

// ProviderTypes lists the MetricTemplate provider types gitcanary runs.
func ProviderTypes() []string {
	var out []string
	for _, p := range providerTypes {
		if p.unsupported == "" {
			out = append(out, p.name)
		}
	}
	return out
}

// SamplingOf returns how the samples of a provider type are taken for a
// baseline comparison.
func SamplingOf(typ string) Sampling {
	p, _ := lookupProvider(typ)
	return p.sampling
}

// providerConfig is what a provider is built from: the template's provider
// block, the metric's interval, its Secret and the shared HTTP client.
type providerConfig struct {
	Provider
	// namespace is the MetricTemplate's, where its Secret lives.
	namespace string
	interval  time.Duration
	secret    func(key string) (string, error)
	client    *http.Client
	now       func() time.Time
}

// key reads one key of the template's Secret.
func (c providerConfig) key(k string) (string, error) {
	if c.SecretRef == nil || c.secret == nil {
		return "", fmt.Errorf("%s needs spec.provider.secretRef with the key %s", c.Type, k)
	}
	return c.secret(k)
}

// optionalKey reads a key the provider can do without.
func (c providerConfig) optionalKey(k string) (string, bool, error) {
	if c.SecretRef == nil || c.secret == nil {
		return "", false, nil
	}
	v, err := c.secret(k)
	if errors.Is(err, secrets.ErrNoKey) {
		return "", false, nil
	}
	return v, err == nil, err
}

// baseURL returns the template's address, checked, without a trailing
// slash; def when it has none (an error when def is empty too).
func (c providerConfig) baseURL(def string) (string, error) {
	a := c.Address
	if a == "" {
		a = def
	}
	if a == "" {
		return "", fmt.Errorf("%s needs spec.provider.address", c.Type)
	}
	if _, err := parseAddress(a); err != nil {
		return "", err
	}
	return strings.TrimRight(a, "/"), nil
}

// end returns t, or now when t is zero.
func (c providerConfig) end(t time.Time) time.Time {
	if t.IsZero() {
		return c.now()
	}
	return t
}

// newRequest builds a request carrying the template's extra headers.
func (c providerConfig) newRequest(ctx context.Context, method, url string, body string) (*http.Request, error) {
	var req *http.Request
	var err error
	if body == "" {
		req, err = http.NewRequestWithContext(ctx, method, url, nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	}
	if err != nil {
		return nil, fmt.Errorf("building request: %w", redactURLError(err))
	}
	for k, vs := range c.Headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return req, nil
}

// isNoValues reports whether err says the query returned nothing.
func isNoValues(err error) bool { return errors.Is(err, ErrNoValuesFound) }
