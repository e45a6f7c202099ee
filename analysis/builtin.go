package analysis

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/templates"
)

// builtinQueries holds Flagger's builtin PromQL per observer (the metrics a
// provider is measured with, as the router registry names them), as query
// templates with Flagger's label sets and operators, whitespace collapsed.
// request-success-rate is a percentage (0-100) of non-5xx responses;
// request-duration is milliseconds (the P99 of a histogram, or a mean), so
// the queries of metrics in seconds multiply by 1000.
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
	"osm": {
		api.MetricRequestSuccessRate: `sum(rate(osm_request_total{destination_namespace="{{ namespace }}",destination_kind="Deployment",destination_name="{{ target }}",response_code!~"5.*"}[{{ interval }}]))
/ sum(rate(osm_request_total{destination_namespace="{{ namespace }}",destination_kind="Deployment",destination_name="{{ target }}"}[{{ interval }}])) * 100`,
		api.MetricRequestDuration: `histogram_quantile(0.99, sum(rate(osm_request_duration_ms_bucket{destination_namespace="{{ namespace }}",destination_kind="Deployment",destination_name="{{ target }}"}[{{ interval }}])) by (le))`,
	},
	"appmesh": {
		api.MetricRequestSuccessRate: `sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",envoy_response_code!~"5.*"}[{{ interval }}]))
/ sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) * 100`,
		api.MetricRequestDuration: `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) by (le))`,
	},
	"nginx": {
		api.MetricRequestSuccessRate: `sum(rate(nginx_ingress_controller_requests{namespace="{{ namespace }}",ingress="{{ ingress }}",canary!="",status!~"5.*"}[{{ interval }}]))
/ sum(rate(nginx_ingress_controller_requests{namespace="{{ namespace }}",ingress="{{ ingress }}",canary!=""}[{{ interval }}])) * 100`,
		api.MetricRequestDuration: `sum(rate(nginx_ingress_controller_response_duration_seconds_sum{namespace="{{ namespace }}",ingress="{{ ingress }}",canary!=""}[{{ interval }}]))
/ sum(rate(nginx_ingress_controller_response_duration_seconds_count{namespace="{{ namespace }}",ingress="{{ ingress }}",canary!=""}[{{ interval }}])) * 1000`,
	},
	"contour": {
		api.MetricRequestSuccessRate: `sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"{{ namespace }}_{{ service }}-canary_[0-9a-zA-Z-]+",envoy_response_code!~"5.*"}[{{ interval }}]))
/ sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"{{ namespace }}_{{ service }}-canary_[0-9a-zA-Z-]+",}[{{ interval }}])) * 100`,
		api.MetricRequestDuration: `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name=~"{{ namespace }}_{{ service }}-canary_[0-9a-zA-Z-]+",}[{{ interval }}])) by (le))`,
	},
	"gloo": {
		api.MetricRequestSuccessRate: `sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"{{ namespace }}-{{ target }}-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+",envoy_response_code!~"5.*"}[{{ interval }}]))
/ sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"{{ namespace }}-{{ target }}-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+",}[{{ interval }}])) * 100`,
		api.MetricRequestDuration: `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name=~"{{ namespace }}-{{ target }}-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+",}[{{ interval }}])) by (le))`,
	},
	"kuma": {
		api.MetricRequestSuccessRate: `sum(rate(envoy_cluster_upstream_rq{service=~"{{ target }}-canary_{{ namespace }}_svc_[0-9a-zA-Z-]+",envoy_response_code!~"5.*"}[{{ interval }}]))
/ sum(rate(envoy_cluster_upstream_rq{service=~"{{ target }}-canary_{{ namespace }}_svc_[0-9a-zA-Z-]+",}[{{ interval }}])) * 100`,
		api.MetricRequestDuration: `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{service=~"{{ target }}-canary_{{ namespace }}_svc_[0-9a-zA-Z-]+",}[{{ interval }}])) by (le))`,
	},
	"traefik": {
		api.MetricRequestSuccessRate: `sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd",code!~"5..",le="+Inf"}[{{ interval }}]))
/ sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd",le="+Inf"}[{{ interval }}])) * 100`,
		api.MetricRequestDuration: `histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd"}[{{ interval }}])) by (le)) * 1000`,
	},
	"skipper": {
		api.MetricRequestSuccessRate: skipperRoute + `sum(rate(skipper_response_duration_seconds_bucket{route=~"{{ $route }}",code!~"5..",le="+Inf"}[{{ interval }}]))
/ sum(rate(skipper_response_duration_seconds_bucket{route=~"{{ $route }}",le="+Inf"}[{{ interval }}])) * 100`,
		api.MetricRequestDuration: skipperRoute + `sum(rate(skipper_serve_route_duration_seconds_sum{route=~"{{ $route }}"}[{{ interval }}]))
/ sum(rate(skipper_serve_route_duration_seconds_count{route=~"{{ $route }}"}[{{ interval }}])) * 1000`,
	},
	"apisix": {
		api.MetricRequestSuccessRate: `sum(rate(apisix_http_status{route=~"{{ namespace }}_{{ route }}-{{ target }}-canary_.+",code!~"5.."}[{{ interval }}]))
/ sum(rate(apisix_http_status{route=~"{{ namespace }}_{{ route }}-{{ target }}-canary_.+"}[{{ interval }}])) * 100`,
		api.MetricRequestDuration: `histogram_quantile(0.99, sum(rate(apisix_http_latency_bucket{type=~"request",route=~"{{ namespace }}_{{ route }}-{{ target }}-canary_.+"}[{{ interval }}])) by (le))`,
	},
	// Applications instrumented with a http_request_duration_seconds
	// histogram, scraped with the kubernetes_namespace and
	// kubernetes_pod_name labels: the kubernetes and Gateway API providers.
	"http": {
		api.MetricRequestSuccessRate: `sum(rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",status!~"5.*"}[{{ interval }}]))
/ sum(rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) * 100`,
		api.MetricRequestDuration: `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) by (le)) * 1000`,
	},
}

// skipperRoute matches the Skipper routes of the canary Ingress's canary
// backend: kube_<namespace>__<ingress>_canary__<host>__<path>__<service>_canary.
const skipperRoute = `{{- $route := printf "kube(ew)?_%s__%s_canary__.*__%s_canary(_[0-9]+)?" namespace ingress service }}`

// nonWord is what Skipper replaces with "_" in route names; Flagger's
// Skipper observer encodes the model so.
var nonWord = regexp.MustCompile(`\W`)

// Builtin returns the query template of a builtin metric
// (request-success-rate or request-duration) for a provider, as the
// provider's observer (see templates.Provider) queries it.
func Builtin(provider, metric string) (string, bool) {
	p, err := templates.Lookup(provider)
	if err != nil {
		return "", false
	}
	q, ok := builtinQueries[p.Observer][metric]
	return q, ok
}

// ErrNoPrimarySeries is returned for a metric whose query cannot be
// rendered for the primary, the baseline of a comparison.
var ErrNoPrimarySeries = errors.New("no series of the primary to compare with")

// primarySeries turns an observer's query of the canary into its
// primary's where the series do not name the target workload (rendering
// them with {{ target }} = <target>-primary would select nothing, or the
// canary again): the series the provider records for the primary's
// traffic. The other observers' series name the workload (Deployment or
// pods), so the primary's query is the canary's with <target>-primary.
var primarySeries = map[string]*strings.Replacer{
	// The main Ingress's own requests (no canary upstream) go to the primary.
	"nginx": strings.NewReplacer(`canary!=""`, `canary=""`),
	// Envoy clusters, Traefik services and Skipper routes are per Service
	// (<service>-primary); Gloo upstreams per Service too.
	"contour": strings.NewReplacer(`{{ service }}-canary_`, `{{ service }}-primary_`),
	"gloo":    strings.NewReplacer(`-canaryupstream-`, `-primaryupstream-`),
	"kuma":    strings.NewReplacer(`{{ target }}-canary_`, `{{ target }}-primary_`),
	"traefik": strings.NewReplacer(`{{ target }}-canary-`, `{{ target }}-primary-`),
	"skipper": strings.NewReplacer(`__%s_canary(_[0-9]+)?`, `__%s_primary(_[0-9]+)?`),
}

// noPrimarySeries says why an observer has no series of the primary.
var noPrimarySeries = map[string]string{
	"apisix": "APISIX's series measure the canary route as a whole, both backends",
}

// BuiltinQuery renders the query of a builtin metric for a provider with
// the model, encoded as the provider's observer does (Skipper's route names
// have "_" for every non-word character).
func BuiltinQuery(provider, metric string, m Model) (string, error) {
	p, q, err := builtin(provider, metric)
	if err != nil {
		return "", err
	}
	return renderBuiltin(p, q, m)
}

// BuiltinPrimaryQuery renders the query of a builtin metric that measures
// the canary's primary, the baseline of a comparison: where the provider's
// series name the workload, the query of the target <target>-primary;
// otherwise the series the provider records for the primary's traffic (see
// primarySeries). A provider without such series gives
// ErrNoPrimarySeries.
func BuiltinPrimaryQuery(provider, metric string, m Model) (string, error) {
	p, q, err := builtin(provider, metric)
	if err != nil {
		return "", err
	}
	if why, ok := noPrimarySeries[p.Observer]; ok {
		return "", fmt.Errorf("%w for provider %s: %s", ErrNoPrimarySeries, provider, why)
	}
	if r, ok := primarySeries[p.Observer]; ok {
		q = r.Replace(q)
	} else {
		m.Target += "-primary"
	}
	return renderBuiltin(p, q, m)
}

// builtin returns a provider and the query template of its builtin metric.
func builtin(provider, metric string) (templates.Provider, string, error) {
	p, err := templates.Lookup(provider)
	if err != nil {
		return p, "", fmt.Errorf("no builtin %s query: %w", metric, err)
	}
	q, ok := builtinQueries[p.Observer][metric]
	if !ok {
		return p, "", fmt.Errorf("no builtin %s query for provider %q", metric, provider)
	}
	return p, q, nil
}

func renderBuiltin(p templates.Provider, q string, m Model) (string, error) {
	if p.Observer == "skipper" {
		for _, f := range []*string{&m.Name, &m.Namespace, &m.Target, &m.Service, &m.Ingress} {
			*f = nonWord.ReplaceAllString(*f, "_")
		}
	}
	query, err := Render(q, m)
	if err != nil {
		return "", fmt.Errorf("rendering query failed: %w", err)
	}
	return query, nil
}

// IsBuiltin reports whether a metric name is one of Flagger's builtin
// checks.
func IsBuiltin(metric string) bool {
	return metric == api.MetricRequestSuccessRate || metric == api.MetricRequestDuration
}
