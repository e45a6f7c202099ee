package analysis

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// keptnDefaultAddress is the Keptn metrics-operator's metrics server
// (keptn.gms.expose), which serves KeptnMetric values over HTTP.
const keptnDefaultAddress = "http://metrics-operator-service.keptn-system.svc.cluster.local:9999"

// keptnType reads KeptnMetric values from the metrics-operator's HTTP API
// (GET <address>/api/v1/metrics/<namespace>/<name>), since gitcanary does
// not call the Kubernetes API. Queries keep Flagger's format,
// "keptnmetric/<namespace>/<name>"; Flagger's "analysis/..." queries create
// Analysis resources through the Kubernetes API and are refused.
var keptnType = providerType{
	name:     "keptn",
	sampling: SampleChecks,
	build: func(c providerConfig) (Querier, error) {
		base, err := c.baseURL(keptnDefaultAddress)
		if err != nil {
			return nil, err
		}
		return &keptn{c: c, base: base}, nil
	},
}

type keptn struct {
	c    providerConfig
	base string
}

// ParseKeptnQuery splits "keptnmetric/<namespace>/<name>" (Flagger's
// format, case-insensitive, "keptnmetrics" too).
func ParseKeptnQuery(query string) (namespace, name string, err error) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(query)), "/")
	if len(parts) < 3 {
		return "", "", fmt.Errorf("keptn query must be keptnmetric/<namespace>/<name>, got %q", query)
	}
	switch parts[0] {
	case "keptnmetric", "keptnmetrics":
	case "analysis", "analyses":
		return "", "", fmt.Errorf("keptn analysis queries create Analysis resources through the Kubernetes API, which gitcanary never calls: use keptnmetric/<namespace>/<name>")
	default:
		return "", "", fmt.Errorf("keptn query must start with keptnmetric/, got %q", parts[0])
	}
	if parts[1] == "" || parts[2] == "" {
		return "", "", fmt.Errorf("keptn query must be keptnmetric/<namespace>/<name>, got %q", query)
	}
	return parts[1], parts[2], nil
}

// Query implements Querier: the KeptnMetric's current value. An empty
// value (not fetched yet) is ErrNoValuesFound.
func (k *keptn) Query(ctx context.Context, query string, _ time.Time) (float64, error) {
	ns, name, err := ParseKeptnQuery(query)
	if err != nil {
		return 0, err
	}
	req, err := k.c.newRequest(ctx, http.MethodGet, k.base+"/api/v1/metrics/"+url.PathEscape(ns)+"/"+url.PathEscape(name), "")
	if err != nil {
		return 0, err
	}
	var a struct {
		Value string `json:"value"`
	}
	if err := sendJSON(k.c.client, req, &a); err != nil {
		return 0, fmt.Errorf("KeptnMetric %s/%s: %w", ns, name, err)
	}
	if a.Value == "" {
		return 0, fmt.Errorf("KeptnMetric %s/%s has no value yet: %w", ns, name, ErrNoValuesFound)
	}
	v, err := strconv.ParseFloat(a.Value, 64)
	if err != nil {
		return 0, fmt.Errorf("KeptnMetric %s/%s value %q is not a number", ns, name, a.Value)
	}
	return v, nil
}

// IsOnline asks the metrics server for its Prometheus page, which it
// serves next to the KeptnMetric API (Flagger assumes Keptn is online).
func (k *keptn) IsOnline(ctx context.Context) error {
	req, err := k.c.newRequest(ctx, http.MethodGet, k.base+"/metrics", "")
	if err != nil {
		return err
	}
	_, _, err = send(k.c.client, req)
	return err
}
