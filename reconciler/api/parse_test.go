package api

import (
	"strings"
	"testing"
	"time"
)

const v1alpha3 = `apiVersion: flagger.app/v1alpha3
kind: Canary
metadata:
  name: podinfo
  namespace: prod
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  service:
    port: 9898
  canaryAnalysis:
    interval: 10s
    stepWeight: 5
    threshold: 5
    metrics:
    - name: request-success-rate
      threshold: 99
      interval: 1m
    - name: request-duration
      threshold: 500
      interval: 30s
`

func TestParseV1alpha3(t *testing.T) {
	cs, err := ParseCanaries("apps/podinfo/canary.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n"+v1alpha3), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("got %d canaries", len(cs))
	}
	c := cs[0]
	a := c.Spec.Analysis
	if c.Source.Index != 1 || c.Key() != "podinfo.prod" || c.Spec.Provider != "istio" || c.Spec.Service.Name != "podinfo" {
		t.Errorf("canary %+v", c)
	}
	if a.Interval.Duration != 10*time.Second || a.StepWeight != 5 || a.Threshold != 5 || a.MaxWeight != 100 {
		t.Errorf("analysis %+v", a)
	}
	sr, dur := a.Metrics[0], a.Metrics[1]
	if sr.ThresholdRange == nil || sr.ThresholdRange.Min == nil || *sr.ThresholdRange.Min != 99 || sr.ThresholdRange.Max != nil {
		t.Errorf("success rate threshold must become min: %+v", sr.ThresholdRange)
	}
	if dur.ThresholdRange == nil || dur.ThresholdRange.Max == nil || *dur.ThresholdRange.Max != 500 || dur.Interval.Duration != 30*time.Second {
		t.Errorf("duration threshold must become max: %+v", dur)
	}
	if sr.OnNoData != "fail" {
		t.Errorf("onNoData default = %q, want fail (Flagger's behaviour)", sr.OnNoData)
	}
}

func TestParseErrorsNameFileDocumentAndField(t *testing.T) {
	base := strings.ReplaceAll(v1alpha3, "flagger.app/v1alpha3", "flagger.app/v1beta1")
	base = strings.ReplaceAll(base, "canaryAnalysis", "analysis")
	tests := []struct {
		name, from, to, want string
	}{
		{"step weight zero", "stepWeight: 5", "stepWeight: 0", "spec.analysis.stepWeight: is required"},
		{"step weight too big", "stepWeight: 5", "stepWeight: 101", "spec.analysis.stepWeight: must be between 1 and 100, got 101"},
		{"missing target", "    name: podinfo\n  service", "  service", "spec.targetRef.name: is required"},
		{"bad type", "stepWeight: 5", "stepWeight: five", "spec.analysis.stepWeight: want int, got string"},
		{"bad duration", "interval: 10s", "interval: ten", `invalid duration "ten"`},
		{"yaml syntax", "  service:\n", "  service:\n   - [\n", "canary.yaml: document 1: invalid YAML"},
		{"custom metric without template", "name: request-duration", "name: latency", `spec.analysis.metrics[1].templateRef: metric "latency" is not a builtin`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(base, tt.from, tt.to, 1)
			if doc == base {
				t.Fatalf("replacement %q not applied", tt.from)
			}
			_, err := ParseCanaries("canary.yaml", []byte(doc), "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseKeepsGoodDocumentsPastBadOnes(t *testing.T) {
	bad := strings.Replace(v1alpha3, "stepWeight: 5", "stepWeight: -1", 1)
	good := strings.Replace(v1alpha3, "name: podinfo\n  namespace", "name: other\n  namespace", 1)
	cs, err := ParseCanaries("c.yaml", []byte(bad+"---\n"+good), "")
	if err == nil || !strings.Contains(err.Error(), "c.yaml: document 1") {
		t.Fatalf("want an error for document 1, got %v", err)
	}
	if len(cs) != 1 || cs[0].Metadata.Name != "other" || cs[0].Source.Index != 1 {
		t.Fatalf("good canary lost: %+v", cs)
	}
}

func TestDefaultProviderFromFlag(t *testing.T) {
	cs, err := ParseCanaries("c.yaml", []byte(v1alpha3), "linkerd")
	if err != nil || len(cs) != 1 || cs[0].Spec.Provider != "linkerd" {
		t.Fatalf("--provider linkerd must apply to canaries without spec.provider: %v", err)
	}
}

func TestStatusRoundTrip(t *testing.T) {
	cs, _ := ParseCanaries("c.yaml", []byte(v1alpha3), "")
	st := Status{
		Phase: PhaseProgressing, CanaryWeight: 10, FailedChecks: 1,
		LastAppliedSpec: "5f1c2e9a", LastPromotedSpec: "77aa00bc",
		TrackedConfigs:     map[string]string{"ConfigMap/podinfo-config": "abc"},
		Inputs:             &Inputs{Digest: "d1", Paths: []string{"apps/podinfo/deployment.yaml", "apps/podinfo/kustomization.yaml"}},
		LastTransitionTime: time.Date(2026, 11, 22, 10, 0, 0, 500e6, time.UTC),
	}
	b, err := MarshalStatus(cs[0], st)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: CanaryStatus", "  phase: Progressing\n", "  canaryWeight: 10\n", "    ConfigMap/podinfo-config: abc\n", "lastTransitionTime: \"2026-11-22T10:00:00.5Z\"", "name: podinfo\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("status.yaml lacks %q:\n%s", want, b)
		}
	}
	got, err := UnmarshalStatus("status.yaml", b, st.LastTransitionTime)
	if err != nil {
		t.Fatal(err)
	}
	if got.Phase != st.Phase || got.CanaryWeight != 10 || got.FailedChecks != 1 || !got.LastTransitionTime.Equal(st.LastTransitionTime) ||
		got.TrackedConfigs["ConfigMap/podinfo-config"] != "abc" || len(got.Inputs.Paths) != 2 {
		t.Errorf("round trip: %+v", got)
	}
}

func FuzzParseCanaries(f *testing.F) {
	f.Add([]byte(v1alpha3))
	f.Add([]byte(strings.ReplaceAll(v1alpha3, "canaryAnalysis", "analysis")))
	f.Add([]byte("kind: Canary\napiVersion: gitcanary.dev/v1beta1\nspec: [1, 2]\n"))
	f.Add([]byte("---\n---\n: :\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := ParseCanaries("fuzz.yaml", data, "")
		for _, c := range cs {
			// Whatever parses must be valid and usable by the state machine.
			if c.Spec.Analysis == nil || c.Spec.Analysis.Threshold < 1 || c.Spec.Analysis.MaxWeight < 1 || c.Spec.Analysis.Interval.Duration < time.Second {
				t.Fatalf("invalid canary accepted: %+v (err %v)", c.Spec.Analysis, err)
			}
		}
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.yaml: document ") {
			t.Fatalf("error does not name the file and document: %v", err)
		}
	})
}
