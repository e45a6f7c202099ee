package analysis

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// externalMetricsType speaks the Kubernetes external metrics API
// (external.metrics.k8s.io/v1beta1) to the metrics adapter itself (KEDA's
// metrics apiserver, Datadog's cluster agent...): gitcanary never calls the
// Kubernetes API server, so unlike Flagger there is no in-cluster default
// and spec.provider.address is required. An optional Secret holds "token"
// (bearer). Queries keep Flagger's format:
// <namespace>/<metricName>?labelSelector=<url-encoded selector>.
var externalMetricsType = providerType{
	name:            "externalmetrics",
	addressRequired: true,
	keys:            []string{"token"},
	sampling:        SampleChecks,
	build: func(c providerConfig) (Querier, error) {
		base, err := c.baseURL("")
		if err != nil {
			return nil, err
		}
		return &externalMetrics{c: c, base: base}, nil
	},
}

type externalMetrics struct {
	c    providerConfig
	base string
}

// parseExternalMetricsQuery splits Flagger's query format; the namespace
// defaults to "default".
func parseExternalMetricsQuery(query string) (ns, metric, selector string, err error) {
	u, err := url.Parse("q:///" + strings.TrimSpace(query))
	if err != nil {
		return "", "", "", fmt.Errorf("external metrics query must be <namespace>/<metric>?labelSelector=<selector>, got %q", query)
	}
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	ns = "default"
	switch len(parts) {
	case 1:
		metric = parts[0]
	case 2:
		if parts[0] != "" {
			ns = parts[0]
		}
		metric = parts[1]
	default:
		return "", "", "", fmt.Errorf("external metrics query has too many slashes: %q", query)
	}
	if metric == "" {
		return "", "", "", fmt.Errorf("external metrics query names no metric: %q", query)
	}
	return ns, metric, u.Query().Get("labelSelector"), nil
}

// Query implements Querier: the first item's value (a Kubernetes
// quantity such as "1500m"); no item is ErrNoValuesFound.
func (e *externalMetrics) Query(ctx context.Context, query string, _ time.Time) (float64, error) {
	ns, metric, selector, err := parseExternalMetricsQuery(query)
	if err != nil {
		return 0, err
	}
	var a struct {
		Items []struct {
			Value string `json:"value"`
		} `json:"items"`
	}
	if err := e.list(ctx, ns, metric, selector, &a); err != nil {
		return 0, err
	}
	if len(a.Items) == 0 {
		return 0, fmt.Errorf("no external metrics found: %w", ErrNoValuesFound)
	}
	q, err := resource.ParseQuantity(a.Items[0].Value)
	if err != nil {
		return 0, fmt.Errorf("external metric value %q: %w", a.Items[0].Value, err)
	}
	return q.AsApproximateFloat64(), nil
}

// IsOnline lists a dummy metric, as Flagger does; only a network error or
// a refused token means offline (an adapter may answer 404 for it).
func (e *externalMetrics) IsOnline(ctx context.Context) error {
	var a struct{}
	err := e.list(ctx, "kube-system", "dummy-metric", "", &a)
	if se, ok := err.(*StatusError); ok && se.Code != http.StatusUnauthorized && se.Code != http.StatusForbidden && se.Code < 500 {
		return nil
	}
	return err
}

func (e *externalMetrics) list(ctx context.Context, ns, metric, selector string, into any) error {
	u := fmt.Sprintf("%s/apis/external.metrics.k8s.io/v1beta1/namespaces/%s/%s", e.base, url.PathEscape(ns), url.PathEscape(metric))
	if selector != "" {
		u += "?" + url.Values{"labelSelector": {selector}}.Encode()
	}
	req, err := e.c.newRequest(ctx, http.MethodGet, u, "")
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if token, ok, err := e.c.optionalKey("token"); err != nil {
		return err
	} else if ok {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return sendJSON(e.c.client, req, into)
}
