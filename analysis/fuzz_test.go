package analysis_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis"
)

func FuzzParseMetricTemplate(f *testing.F) {
	f.Add([]byte(latencyTemplate))
	f.Add([]byte("apiVersion: gitcanary.dev/v1beta1\nkind: MetricTemplate\nmetadata: {name: a}\nspec: {provider: {type: prometheus}, query: '{{ variables.x }}'}"))
	f.Add([]byte("apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nspec: {provider: {type: datadog, address: 'http://u:p@h'}, query: 1}"))
	f.Add([]byte("- [a, {b: c}]"))
	f.Add([]byte("kind: &a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mt, err := analysis.ParseMetricTemplate("f.yaml", 0, data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml: document 1") {
				t.Fatalf("error does not name the file and document: %v", err)
			}
			return
		}
		if mt.Metadata.Name == "" || mt.Metadata.Namespace == "" || mt.Spec.Provider.Type != analysis.ProviderPrometheus {
			t.Fatalf("invalid template accepted: %+v", mt)
		}
		if err := analysis.CheckQuery(mt.Spec.Query); err != nil {
			t.Fatalf("accepted query does not parse: %v", err)
		}
		_, _ = analysis.Render(mt.Spec.Query, podinfo)
	})
}

func FuzzRender(f *testing.F) {
	f.Add(`sum(rate(x{ns="{{ namespace }}",app=~"{{ target }}"}[{{ interval }}]))`, "podinfo", "eu", int64(time.Minute))
	f.Add(`{{ variables.zone }} {{ variables.other }}`, "a", "b", int64(90*time.Second))
	f.Add(`{{ if eq (name) "x" }}{{ printf "%d" 1 }}{{ end }}`, "", "", int64(0))
	f.Fuzz(func(t *testing.T, query, target, zone string, interval int64) {
		m := analysis.Model{Name: "n", Namespace: "ns", Target: target, Service: "s", Ingress: "i",
			Interval: time.Duration(interval), Variables: map[string]string{"zone": zone}}
		out, err := analysis.Render(query, m)
		if err != nil {
			return
		}
		if !strings.Contains(query, "{{") && out != query {
			t.Fatalf("a query without actions changed: %q -> %q", query, out)
		}
	})
}
