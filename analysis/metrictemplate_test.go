package analysis_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

const latencyTemplate = `apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata:
  name: latency
  namespace: istio-system
spec:
  provider:
    type: prometheus
    address: http://prometheus.istio-system:9090
    secretRef:
      name: prom-auth
    insecureSkipVerify: true
  query: |
    histogram_quantile(0.99, sum(rate(
      istio_request_duration_milliseconds_bucket{
        destination_workload_namespace="{{ namespace }}",
        destination_workload=~"{{ target }}",
        direction="{{ variables.direction }}"
      }[{{ interval }}])) by (le)) / 1000
`

func TestParseMetricTemplate(t *testing.T) {
	t.Parallel()
	mt, err := analysis.ParseMetricTemplate("apps/podinfo/metrics.yaml", 2, []byte(latencyTemplate))
	if err != nil {
		t.Fatal(err)
	}
	want := analysis.Provider{Type: "prometheus", Address: "http://prometheus.istio-system:9090", SecretRef: &analysis.SecretRef{Name: "prom-auth"}, InsecureSkipVerify: true}
	p := mt.Spec.Provider
	if p.Type != want.Type || p.Address != want.Address || p.SecretRef == nil || p.SecretRef.Name != "prom-auth" || !p.InsecureSkipVerify {
		t.Errorf("provider = %+v, want %+v", p, want)
	}
	if mt.Key() != "latency.istio-system" || mt.Source.String() != "apps/podinfo/metrics.yaml: document 3" {
		t.Errorf("key %q, source %q", mt.Key(), mt.Source)
	}
	if !strings.Contains(mt.Spec.Query, `direction="{{ variables.direction }}"`) {
		t.Errorf("query = %q", mt.Spec.Query)
	}

	own, err := analysis.ParseMetricTemplate("m.yaml", 0, []byte(`apiVersion: gitcanary.dev/v1beta1
kind: MetricTemplate
metadata: {name: errors}
spec: {provider: {type: prometheus}, query: "sum(x)"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if own.Metadata.Namespace != "default" || own.Spec.Provider.Address != "" {
		t.Errorf("gitcanary.dev template = %+v", own)
	}
}

func TestParseMetricTemplateErrors(t *testing.T) {
	t.Parallel()
	const head = "apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata: {name: m, namespace: test}\n"
	tests := []struct {
		name, doc string
		want      []string // every line of the error, exactly
	}{
		{
			name: "provider not supported yet",
			doc:  head + "spec: {provider: {type: skywalking}, query: x}",
			want: []string{`m.yaml: document 2 (MetricTemplate test/m): spec.provider.type: provider "skywalking" is not supported yet (supported: prometheus, influxdb, datadog, externalmetrics, stackdriver, cloudwatch, newrelic, graphite, dynatrace, keptn, splunk, signalfx)`},
		},
		{
			name: "datadog without secretRef",
			doc:  head + "spec: {provider: {type: datadog}, query: x}",
			want: []string{`m.yaml: document 2 (MetricTemplate test/m): spec.provider.secretRef: is required for provider datadog: its Secret holds the keys datadog_api_key, datadog_application_key`},
		},
		{
			name: "cloudwatch without region, graphite without address",
			doc:  head + "spec: {provider: {type: cloudwatch, address: 'monitoring:443'}, query: x}",
			want: []string{
				`m.yaml: document 2 (MetricTemplate test/m): spec.provider.address: monitoring:443: scheme must be http or https`,
				`m.yaml: document 2 (MetricTemplate test/m): spec.provider.region: is required for provider cloudwatch`,
			},
		},
		{
			name: "keptn analysis query",
			doc:  head + "spec: {provider: {type: keptn}, query: analysis/test/my-analysis/1m}",
			want: []string{`m.yaml: document 2 (MetricTemplate test/m): spec.query: keptn analysis queries create Analysis resources through the Kubernetes API, which gitcanary never calls: use keptnmetric/<namespace>/<name>`},
		},
		{
			name: "template that expands without bound",
			doc:  head + "spec: {provider: {type: prometheus}, query: '{{define \"a\"}}{{template \"b\"}}{{template \"b\"}}{{template \"b\"}}{{end}}{{define \"b\"}}{{template \"c\"}}{{template \"c\"}}{{template \"c\"}}{{end}}{{define \"c\"}}{{range 1000}}x{{end}}{{end}}{{template \"a\"}}{{template \"a\"}}{{template \"a\"}}{{template \"a\"}}{{template \"a\"}}{{template \"a\"}}{{template \"a\"}}{{template \"a\"}}{{template \"a\"}}{{template \"a\"}}{{template \"a\"}}{{template \"a\"}}'}",
			want: []string{`m.yaml: document 2 (MetricTemplate test/m): spec.query: query template too expensive: executing it visits about 1.08e+05 nodes (limit 100000); nested {{template}} calls or ranges multiply`},
		},
		{
			name: "template that calls itself",
			doc:  head + "spec: {provider: {type: prometheus}, query: '{{define \"a\"}}{{template \"a\"}}{{end}}{{template \"a\"}}'}",
			want: []string{`m.yaml: document 2 (MetricTemplate test/m): spec.query: query template calls itself: {{template "a"}}`},
		},
		{
			name: "unknown provider",
			doc:  head + "spec: {provider: {type: promscale}, query: x}",
			want: []string{`m.yaml: document 2 (MetricTemplate test/m): spec.provider.type: unknown provider "promscale" (supported: prometheus, influxdb, datadog, externalmetrics, stackdriver, cloudwatch, newrelic, graphite, dynatrace, keptn, splunk, signalfx)`},
		},
		{
			name: "missing type and query",
			doc:  head + "spec: {provider: {address: 'http://p:9090'}}",
			want: []string{
				`m.yaml: document 2 (MetricTemplate test/m): spec.provider.type: is required (supported: prometheus, influxdb, datadog, externalmetrics, stackdriver, cloudwatch, newrelic, graphite, dynatrace, keptn, splunk, signalfx)`,
				`m.yaml: document 2 (MetricTemplate test/m): spec.query: is required`,
			},
		},
		{
			name: "bad address",
			doc:  head + "spec: {provider: {type: prometheus, address: 'prometheus:9090'}, query: x}",
			want: []string{`m.yaml: document 2 (MetricTemplate test/m): spec.provider.address: prometheus:9090: scheme must be http or https`},
		},
		{
			name: "address error hides the password",
			doc:  head + "spec: {provider: {type: prometheus, address: 'ftp://u:hunter2@p'}, query: x}",
			want: []string{`m.yaml: document 2 (MetricTemplate test/m): spec.provider.address: ftp://u:xxxxx@p: scheme must be http or https`},
		},
		{
			name: "bad query template",
			doc:  head + "spec: {provider: {type: prometheus}, query: 'rate(x[{{ window }}])'}",
			want: []string{`m.yaml: document 2 (MetricTemplate test/m): spec.query: parsing query template: query:1: function "window" not defined`},
		},
		{
			name: "empty secretRef",
			doc:  head + "spec: {provider: {type: prometheus, secretRef: {}}, query: x}",
			want: []string{`m.yaml: document 2 (MetricTemplate test/m): spec.provider.secretRef.name: is required`},
		},
		{
			name: "wrong type",
			doc:  head + "spec: {provider: {type: prometheus, insecureSkipVerify: 'yes'}, query: x}",
			want: []string{`m.yaml: document 2: spec.provider.insecureSkipVerify: want a boolean, got string`},
		},
		{
			name: "wrong apiVersion",
			doc:  "apiVersion: flagger.app/v2\nkind: MetricTemplate\nmetadata: {name: m, namespace: test}\nspec: {provider: {type: prometheus}, query: x}",
			want: []string{`m.yaml: document 2 (MetricTemplate test/m): apiVersion: want one of gitcanary.dev/v1beta1, flagger.app/v1beta1, got "flagger.app/v2"`},
		},
		{
			name: "wrong kind",
			doc:  "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: m, namespace: test}\n",
			want: []string{`m.yaml: document 2 (MetricTemplate test/m): kind: want MetricTemplate, got "Canary"`},
		},
		{
			name: "missing name",
			doc:  "apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nspec: {provider: {type: prometheus}, query: x}",
			want: []string{`m.yaml: document 2 (MetricTemplate default/): metadata.name: is required`},
		},
		{
			name: "not an object",
			doc:  "- a\n- b\n",
			want: []string{`m.yaml: document 2: want a MetricTemplate object, got a list`},
		},
		{
			name: "invalid YAML",
			doc:  "kind: [",
			want: []string{`m.yaml: document 2: invalid YAML: line 1: did not find expected node content`},
		},
		{
			name: "empty",
			doc:  "",
			want: []string{`m.yaml: document 2: empty document`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := analysis.ParseMetricTemplate("m.yaml", 1, []byte(tt.doc))
			if err == nil {
				t.Fatal("want an error")
			}
			if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("error:\n%s\nwant:\n%s", err, strings.Join(tt.want, "\n"))
			}
			var fe *api.FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error %T is not an *api.FieldError", err)
			}
		})
	}
}

func TestParseMetricTemplates(t *testing.T) {
	t.Parallel()
	file := `apiVersion: v1
kind: ConfigMap
metadata: {name: x}
---
` + latencyTemplate + `---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: broken, namespace: test}
spec: {provider: {type: graphite}, query: target=x}
---
apiVersion: gitcanary.dev/v1beta1
kind: MetricTemplate
metadata: {name: errors, namespace: test}
spec: {provider: {type: prometheus}, query: "sum(x)"}
`
	got, err := analysis.ParseMetricTemplates("metrics.yaml", []byte(file))
	if err == nil || err.Error() != `metrics.yaml: document 3 (MetricTemplate test/broken): spec.provider.address: is required for provider graphite` {
		t.Errorf("err = %v", err)
	}
	if len(got) != 2 || got[0].Key() != "latency.istio-system" || got[1].Key() != "errors.test" || got[1].Source.Index != 3 {
		t.Fatalf("templates = %v", got)
	}

	ts := analysis.Templates{}
	for _, mt := range got {
		if err := ts.Add(mt); err != nil {
			t.Fatal(err)
		}
	}
	if mt, ok := ts.MetricTemplate("test", "errors"); !ok || mt != got[1] {
		t.Errorf("lookup test/errors = %v, %v", mt, ok)
	}
	if _, ok := ts.MetricTemplate("default", "errors"); ok {
		t.Error("lookup default/errors found a template")
	}
	dup := *got[1]
	dup.Source = api.Source{Path: "other.yaml", Index: 0}
	if err := ts.Add(&dup); err == nil || err.Error() != "other.yaml: document 1 (MetricTemplate test/errors): metadata.name: duplicate MetricTemplate, already defined in metrics.yaml: document 4" {
		t.Errorf("duplicate error = %v", err)
	}
}

// A MetricTemplate document is decoded within api's limits, as every
// document of the repository: an alias bomb is refused as too large,
// naming the field.
func TestParseMetricTemplateIsBounded(t *testing.T) {
	doc := "apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata:\n  name: bomb\nspec:\n  provider:\n    type: prometheus\n  query: up\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i < 9; i++ {
		doc += fmt.Sprintf("  a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	_, err := analysis.ParseMetricTemplate("m.yaml", 0, []byte(doc))
	if !errors.Is(err, api.ErrTooLarge) || !strings.HasPrefix(err.Error(), "m.yaml: document 1: spec.a") {
		t.Fatalf("error %v", err)
	}
}
