package analysis

import (
	"slices"
	"strings"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// builtinQueries holds Flagger's builtin PromQL per provider, as query
// templates. request-success-rate is a percentage (0-100) of non-5xx
// responses; request-duration is milliseconds (the P99 of a histogram, or
// nginx's mean), so providers that measure seconds multiply by 1000 in the
// query.
var builtinQueries = map[string]map[string]string{
	"istio": {
		api.MetricRequestSuccessRate: `sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}",response_code!~"5.*"}[{{ interval }}]))
/ sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) * 100`,
		api.MetricRequestDuration: `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) by (le))`,
	},
	"linkerd": {
		api.MetricRequestSuccessRate: `sum(rate(response_total{namespace="{{ namespace }}",deployment=~"{{ target }}",classification!="failure",direction="inbound"}[{{ interval }}]))
/ sum(rate(response_total{namespace="{{ namespace }}",deployment=~"{{ target }}",direction="inbound"}[{{ interval }}])) * 100`,
		api.MetricRequestDuration: `histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{namespace="{{ namespace }}",deployment=~"{{ target }}",direction="inbound"}[{{ interval }}])) by (le))`,
	},
	"nginx": {
		api.MetricRequestSuccessRate: `sum(rate(nginx_ingress_controller_requests{namespace="{{ namespace }}",ingress="{{ ingress }}",canary!="",status!~"5.*"}[{{ interval }}]))
/ sum(rate(nginx_ingress_controller_requests{namespace="{{ namespace }}",ingress="{{ ingress }}",canary!=""}[{{ interval }}])) * 100`,
		api.MetricRequestDuration: `sum(rate(nginx_ingress_controller_response_duration_seconds_sum{namespace="{{ namespace }}",ingress="{{ ingress }}",canary!=""}[{{ interval }}]))
/ sum(rate(nginx_ingress_controller_response_duration_seconds_count{namespace="{{ namespace }}",ingress="{{ ingress }}",canary!=""}[{{ interval }}])) * 1000`,
	},
	"kubernetes": httpQueries,
	"gatewayapi": httpQueries,
}

// httpQueries read the metrics of applications instrumented with a
// http_request_duration_seconds histogram, scraped with the
// kubernetes_namespace and kubernetes_pod_name labels.
var httpQueries = map[string]string{
	api.MetricRequestSuccessRate: `sum(rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",status!~"5.*"}[{{ interval }}]))
/ sum(rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) * 100`,
	api.MetricRequestDuration: `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) by (le)) * 1000`,
}

// Builtin returns the query template of a builtin metric
// (request-success-rate or request-duration) for a provider. A versioned
// provider name ("gatewayapi:v1") uses its provider's queries.
func Builtin(provider, metric string) (string, bool) {
	q, ok := builtinQueries[builtinProvider(provider)][metric]
	return q, ok
}

// BuiltinProviders lists the providers that have builtin queries.
func BuiltinProviders() []string {
	out := make([]string, 0, len(builtinQueries))
	for p := range builtinQueries {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// IsBuiltin reports whether a metric name is one of Flagger's builtin
// checks.
func IsBuiltin(metric string) bool {
	return metric == api.MetricRequestSuccessRate || metric == api.MetricRequestDuration
}

func builtinProvider(provider string) string {
	p, _, _ := strings.Cut(provider, ":")
	return p
}
