package analysis_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

func TestRender(t *testing.T) {
	t.Parallel()
	m := analysis.Model{
		Name: "podinfo", Namespace: "test", Target: "podinfo-app", Service: "podinfo-svc", Ingress: "podinfo-ing",
		Interval:  30 * time.Second,
		Variables: map[string]string{"direction": "inbound", "cluster": "dev"},
	}
	tests := []struct {
		name, query string
		model       *analysis.Model
		want        string
		wantErr     string
	}{
		{name: "every field", query: "{{ name }} {{ namespace }} {{ target }} {{ service }} {{ ingress }} {{ interval }}", want: "podinfo test podinfo-app podinfo-svc podinfo-ing 30s"},
		{name: "no spaces", query: "{{target}}[{{interval}}]", want: "podinfo-app[30s]"},
		{name: "variables", query: `x{direction="{{ variables.direction }}",cluster="{{ variables.cluster }}"}`, want: `x{direction="inbound",cluster="dev"}`},
		{name: "interval 1m", query: "{{ interval }}", model: &analysis.Model{Interval: time.Minute}, want: "1m"},
		{name: "interval 90s", query: "{{ interval }}", model: &analysis.Model{Interval: 90 * time.Second}, want: "1m30s"},
		{name: "interval 2h", query: "{{ interval }}", model: &analysis.Model{Interval: 2 * time.Hour}, want: "2h"},
		{name: "missing variable", query: "{{ variables.zone }}", wantErr: "rendering query: the query uses variables.zone but the metric's templateVariables do not set zone"},
		{name: "no variables at all", query: "{{ variables.zone }}", model: &analysis.Model{}, wantErr: "the query uses variables.zone but"},
		{name: "unknown function", query: "{{ pod }}", wantErr: `parsing query template: query:1: function "pod" not defined`},
		{name: "unclosed action", query: "rate(x[{{ interval ]", wantErr: "parsing query template: query:1: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			model := m
			if tt.model != nil {
				model = *tt.model
			}
			got, err := analysis.Render(tt.query, model)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Render = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestModelFor(t *testing.T) {
	t.Parallel()
	c := &api.Canary{
		Metadata: api.ObjectMeta{Name: "podinfo-canary", Namespace: "test"},
		Spec: api.CanarySpec{
			TargetRef:  api.CrossRef{Kind: "Deployment", Name: "podinfo"},
			IngressRef: &api.CrossRef{Kind: "Ingress", Name: "podinfo-ing"},
		},
	}
	m := api.Metric{Name: "x", Interval: api.Duration{Duration: 2 * time.Minute}, TemplateVariables: map[string]string{"a": "b"}}
	got := analysis.ModelFor(c, m)
	if got.Name != "podinfo-canary" || got.Namespace != "test" || got.Target != "podinfo" ||
		got.Service != "podinfo" || got.Ingress != "podinfo-ing" || got.Interval != 2*time.Minute || got.Variables["a"] != "b" {
		t.Errorf("ModelFor = %+v", got)
	}
	c.Spec.Service.Name = "web"
	c.Spec.IngressRef = nil
	got = analysis.ModelFor(c, m)
	if got.Service != "web" || got.Ingress != "podinfo" {
		t.Errorf("ModelFor service/ingress = %q/%q, want web/podinfo", got.Service, got.Ingress)
	}
}
