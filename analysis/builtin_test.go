package analysis_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/reconciler/api"
	routers "github.com/gitcanary/gitcanary/templates"
)

var podinfo = analysis.Model{Name: "podinfo", Namespace: "test", Target: "podinfo", Service: "podinfo", Ingress: "podinfo", Route: "podinfo", Interval: time.Minute}

// The builtin queries, rendered for podinfo in test: Flagger's observers'
// label sets and operators (REFERENCE-routers.md §4.2 and
// pkg/metrics/observers), whitespace collapsed.
func TestBuiltinQueries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		provider, metric string
		want             string
	}{
		{"istio", api.MetricRequestSuccessRate, `sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo",response_code!~"5.*"}[1m]))
/ sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo"}[1m])) * 100`},
		{"istio", api.MetricRequestDuration, `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo"}[1m])) by (le))`},
		{"linkerd", api.MetricRequestSuccessRate, `sum(rate(response_total{namespace="test",deployment=~"podinfo",classification!="failure",direction="inbound"}[1m]))
/ sum(rate(response_total{namespace="test",deployment=~"podinfo",direction="inbound"}[1m])) * 100`},
		{"smi:v1alpha2:linkerd", api.MetricRequestDuration, `histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{namespace="test",deployment=~"podinfo",direction="inbound"}[1m])) by (le))`},
		{"osm", api.MetricRequestSuccessRate, `sum(rate(osm_request_total{destination_namespace="test",destination_kind="Deployment",destination_name="podinfo",response_code!~"5.*"}[1m]))
/ sum(rate(osm_request_total{destination_namespace="test",destination_kind="Deployment",destination_name="podinfo"}[1m])) * 100`},
		{"smi:v1alpha3:osm", api.MetricRequestDuration, `histogram_quantile(0.99, sum(rate(osm_request_duration_ms_bucket{destination_namespace="test",destination_kind="Deployment",destination_name="podinfo"}[1m])) by (le))`},
		{"smi:v1alpha3:istio", api.MetricRequestDuration, `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo"}[1m])) by (le))`},
		{"appmesh", api.MetricRequestSuccessRate, `sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",envoy_response_code!~"5.*"}[1m]))
/ sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[1m])) * 100`},
		{"appmesh:v1beta2", api.MetricRequestDuration, `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[1m])) by (le))`},
		{"nginx", api.MetricRequestSuccessRate, `sum(rate(nginx_ingress_controller_requests{namespace="test",ingress="podinfo",canary!="",status!~"5.*"}[1m]))
/ sum(rate(nginx_ingress_controller_requests{namespace="test",ingress="podinfo",canary!=""}[1m])) * 100`},
		{"nginx", api.MetricRequestDuration, `sum(rate(nginx_ingress_controller_response_duration_seconds_sum{namespace="test",ingress="podinfo",canary!=""}[1m]))
/ sum(rate(nginx_ingress_controller_response_duration_seconds_count{namespace="test",ingress="podinfo",canary!=""}[1m])) * 1000`},
		{"contour", api.MetricRequestSuccessRate, `sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"test_podinfo-canary_[0-9a-zA-Z-]+",envoy_response_code!~"5.*"}[1m]))
/ sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"test_podinfo-canary_[0-9a-zA-Z-]+",}[1m])) * 100`},
		{"contour", api.MetricRequestDuration, `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name=~"test_podinfo-canary_[0-9a-zA-Z-]+",}[1m])) by (le))`},
		{"gloo", api.MetricRequestSuccessRate, `sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"test-podinfo-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+",envoy_response_code!~"5.*"}[1m]))
/ sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"test-podinfo-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+",}[1m])) * 100`},
		{"kuma", api.MetricRequestSuccessRate, `sum(rate(envoy_cluster_upstream_rq{service=~"podinfo-canary_test_svc_[0-9a-zA-Z-]+",envoy_response_code!~"5.*"}[1m]))
/ sum(rate(envoy_cluster_upstream_rq{service=~"podinfo-canary_test_svc_[0-9a-zA-Z-]+",}[1m])) * 100`},
		{"kuma", api.MetricRequestDuration, `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{service=~"podinfo-canary_test_svc_[0-9a-zA-Z-]+",}[1m])) by (le))`},
		{"traefik", api.MetricRequestSuccessRate, `sum(rate(traefik_service_request_duration_seconds_bucket{service=~"test-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd",code!~"5..",le="+Inf"}[1m]))
/ sum(rate(traefik_service_request_duration_seconds_bucket{service=~"test-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd",le="+Inf"}[1m])) * 100`},
		{"traefik", api.MetricRequestDuration, `histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{service=~"test-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd"}[1m])) by (le)) * 1000`},
		{"skipper", api.MetricRequestSuccessRate, `sum(rate(skipper_response_duration_seconds_bucket{route=~"kube(ew)?_test__podinfo_canary__.*__podinfo_canary(_[0-9]+)?",code!~"5..",le="+Inf"}[1m]))
/ sum(rate(skipper_response_duration_seconds_bucket{route=~"kube(ew)?_test__podinfo_canary__.*__podinfo_canary(_[0-9]+)?",le="+Inf"}[1m])) * 100`},
		{"skipper", api.MetricRequestDuration, `sum(rate(skipper_serve_route_duration_seconds_sum{route=~"kube(ew)?_test__podinfo_canary__.*__podinfo_canary(_[0-9]+)?"}[1m]))
/ sum(rate(skipper_serve_route_duration_seconds_count{route=~"kube(ew)?_test__podinfo_canary__.*__podinfo_canary(_[0-9]+)?"}[1m])) * 1000`},
		{"apisix", api.MetricRequestSuccessRate, `sum(rate(apisix_http_status{route=~"test_podinfo-podinfo-canary_.+",code!~"5.."}[1m]))
/ sum(rate(apisix_http_status{route=~"test_podinfo-podinfo-canary_.+"}[1m])) * 100`},
		{"apisix", api.MetricRequestDuration, `histogram_quantile(0.99, sum(rate(apisix_http_latency_bucket{type=~"request",route=~"test_podinfo-podinfo-canary_.+"}[1m])) by (le))`},
		{"kubernetes", api.MetricRequestSuccessRate, `sum(rate(http_request_duration_seconds_count{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",status!~"5.*"}[1m]))
/ sum(rate(http_request_duration_seconds_count{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[1m])) * 100`},
		{"kubernetes", api.MetricRequestDuration, `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[1m])) by (le)) * 1000`},
		{"gatewayapi:v1", api.MetricRequestDuration, `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[1m])) by (le)) * 1000`},
	}
	for _, tt := range tests {
		t.Run(tt.provider+"/"+tt.metric, func(t *testing.T) {
			t.Parallel()
			got, err := analysis.BuiltinQuery(tt.provider, tt.metric, podinfo)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("rendered\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// Every provider of the router registry has both builtin queries, and
// they are PromQL Prometheus parses.
func TestBuiltinQueriesForEveryProvider(t *testing.T) {
	t.Parallel()
	for _, p := range routers.Providers() {
		name := strings.Split(p, "|")[0]
		for _, m := range []string{api.MetricRequestSuccessRate, api.MetricRequestDuration} {
			q, err := analysis.BuiltinQuery(name, m, podinfo)
			if err != nil {
				t.Errorf("%s %s: %v", name, m, err)
				continue
			}
			if _, err := parser.ParseExpr(q); err != nil {
				t.Errorf("%s %s: %v\n%s", name, m, err, q)
			}
		}
	}
	if _, err := analysis.BuiltinQuery("knative", api.MetricRequestDuration, podinfo); err == nil || err.Error() != "no builtin request-duration query: not supported yet: knative (a Knative Service routes its own revisions; gitcanary's targets are Deployments)" {
		t.Errorf("knative: %v", err)
	}
	if _, ok := analysis.Builtin("istio", "latency"); ok {
		t.Error("latency is not a builtin")
	}
}

// Skipper's route names replace every non-word character with "_", and so
// does its observer with the model.
func TestBuiltinSkipperEncodesNames(t *testing.T) {
	t.Parallel()
	m := podinfo
	m.Namespace, m.Ingress, m.Service = "team-a", "web.app", "podinfo-svc"
	got, err := analysis.BuiltinQuery("skipper", api.MetricRequestDuration, m)
	if err != nil {
		t.Fatal(err)
	}
	if want := `route=~"kube(ew)?_team_a__web_app_canary__.*__podinfo_svc_canary(_[0-9]+)?"`; !strings.Contains(got, want) {
		t.Errorf("got %s, want %s in it", got, want)
	}
}

// The primary's builtin queries select the series the provider records
// for the primary's traffic: the workload <target>-primary where the
// series name it, the primary's Service, upstream or route where they name
// those, NGINX's main Ingress without a canary upstream. APISIX measures
// the canary route as a whole: it has none.
func TestBuiltinPrimaryQueries(t *testing.T) {
	t.Parallel()
	selects := map[string]string{
		"istio":                `destination_workload=~"podinfo-primary"`,
		"linkerd":              `deployment=~"podinfo-primary"`,
		"smi:v1alpha3:linkerd": `deployment=~"podinfo-primary"`,
		"osm":                  `destination_name="podinfo-primary"`,
		"appmesh":              `kubernetes_pod_name=~"podinfo-primary-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"`,
		"kubernetes":           `kubernetes_pod_name=~"podinfo-primary-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"`,
		"gatewayapi:v1":        `kubernetes_pod_name=~"podinfo-primary-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"`,
		"nginx":                `ingress="podinfo",canary=""`,
		"contour":              `envoy_cluster_name=~"test_podinfo-primary_[0-9a-zA-Z-]+"`,
		"gloo":                 `envoy_cluster_name=~"test-podinfo-primaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+"`,
		"kuma":                 `service=~"podinfo-primary_test_svc_[0-9a-zA-Z-]+"`,
		"traefik":              `service=~"test-podinfo-primary-[0-9a-zA-Z-]+@kubernetescrd"`,
		"skipper":              `route=~"kube(ew)?_test__podinfo_canary__.*__podinfo_primary(_[0-9]+)?"`,
	}
	for provider, want := range selects {
		for _, m := range []string{api.MetricRequestSuccessRate, api.MetricRequestDuration} {
			q, err := analysis.BuiltinPrimaryQuery(provider, m, podinfo)
			if err != nil {
				t.Errorf("%s %s: %v", provider, m, err)
				continue
			}
			canary, _ := analysis.BuiltinQuery(provider, m, podinfo)
			if !strings.Contains(q, want) || q == canary || strings.Contains(q, `canary!=""`) {
				t.Errorf("%s %s: primary query\n%s\ndoes not select %s", provider, m, q, want)
			}
			if _, err := parser.ParseExpr(q); err != nil {
				t.Errorf("%s %s: %v\n%s", provider, m, err, q)
			}
		}
	}
	for _, p := range routers.Providers() {
		name := strings.Split(p, "|")[0]
		_, err := analysis.BuiltinPrimaryQuery(name, api.MetricRequestSuccessRate, podinfo)
		if name == "apisix" {
			if !errors.Is(err, analysis.ErrNoPrimarySeries) {
				t.Errorf("apisix: %v, want ErrNoPrimarySeries", err)
			}
		} else if err != nil && !strings.Contains(err.Error(), "not supported yet") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
