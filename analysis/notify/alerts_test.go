package notify_test

import (
	"reflect"
	"testing"

	"github.com/gitcanary/gitcanary/analysis/notify"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

func TestAlerts(t *testing.T) {
	t.Parallel()
	c := parseCanary(t, `    webhooks:
      - name: gate
        type: confirm-rollout
        url: http://loadtester.test/gate/check
      - name: quiet
        type: confirm-promotion
        url: http://loadtester.test/gate/check
        muteAlert: true
      - name: step
        type: confirm-traffic-increase
        url: http://loadtester.test/gate/check
`)
	facts := []notify.Field{
		{Name: "Target", Value: "Deployment/podinfo.test"},
		{Name: "Failed checks threshold", Value: "5"},
		{Name: "Progress deadline", Value: "600s"},
		{Name: "Traffic routing", Value: "Weight step: 5 max: 50"},
	}
	msg := func(text string, sev notify.Severity, fields []notify.Field) []notify.Message {
		return []notify.Message{{Name: "podinfo", Namespace: "test", Target: "Deployment/podinfo.test", Text: text, Severity: sev, Fields: fields, Revision: "rev"}}
	}
	tests := []struct {
		name   string
		events []notify.Event
		reason string
		want   []notify.Message
	}{
		{"init", []notify.Event{{Text: "Initialization done! podinfo.test"}},
			"", msg("New Deployment detected, initialization completed.", notify.SeverityInfo, facts)},
		{"new revision", []notify.Event{{Text: "New revision detected! Scaling up podinfo.test"}},
			"", msg("New revision detected, progressing canary analysis.", notify.SeverityInfo, facts)},
		{"steps send nothing", []notify.Event{{Text: "Starting canary analysis for podinfo.test"}, {Text: "Advance podinfo.test canary weight 5"}}, "", nil},
		{"metric halt sends nothing", []notify.Event{{Text: "Halt podinfo.test advancement success rate 69.17% < 99%", Warning: true}}, "", nil},
		{"promoted", []notify.Event{{Text: "Promotion completed! Scaling down podinfo.test"}},
			"", msg("Canary analysis completed successfully, promotion finished.", notify.SeverityInfo, nil)},
		{"skipped", []notify.Event{{Text: "Copying podinfo.test template spec to podinfo-primary.test"}, {Text: "Promotion completed! Canary analysis was skipped for podinfo.test"}},
			"", msg("Canary analysis was skipped, promotion finished.", notify.SeverityInfo, nil)},
		{"threshold with reason", []notify.Event{{Text: "Rolling back podinfo.test failed checks threshold reached 5", Warning: true}, {Text: "Canary failed! Scaling down podinfo.test", Warning: true}},
			"Halt podinfo.test advancement success rate 69.17% < 99%",
			msg("Failed checks threshold reached 5", notify.SeverityError, []notify.Field{{Name: "Reason", Value: "Halt podinfo.test advancement success rate 69.17% < 99%"}})},
		{"threshold without reason", []notify.Event{{Text: "Rolling back podinfo.test failed checks threshold reached 1", Warning: true}},
			"", msg("Failed checks threshold reached 1", notify.SeverityError, nil)},
		{"deadline", []notify.Event{{Text: "Rolling back podinfo.test progress deadline exceeded canary deployment podinfo.test not ready", Warning: true}},
			"", msg("Progress deadline exceeded canary deployment podinfo.test not ready", notify.SeverityError, nil)},
		{"manual rollback", []notify.Event{{Text: "Rolling back podinfo.test manual webhook invoked", Warning: true}},
			"", msg("Rolling back manual webhook invoked", notify.SeverityWarn, nil)},
		{"waiting for approval", []notify.Event{{Text: "Halt podinfo.test advancement waiting for approval gate", Warning: true}},
			"", msg("Halt podinfo.test advancement waiting for approval gate", notify.SeverityWarn, nil)},
		{"traffic increase approval", []notify.Event{{Text: "Halt podinfo.test advancement waiting for traffic increase approval step", Warning: true}},
			"", msg("Halt podinfo.test advancement waiting for traffic increase approval step", notify.SeverityWarn, nil)},
		{"muted promotion approval", []notify.Event{{Text: "Halt podinfo.test advancement waiting for promotion approval quiet", Warning: true}}, "", nil},
		{"other canary's texts", []notify.Event{{Text: "Rolling back other.test manual webhook invoked"}}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := notify.Alerts(notify.Transition{Canary: c, Revision: "rev", Events: tt.events, Reason: tt.reason})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestFactsTrafficRouting(t *testing.T) {
	t.Parallel()
	routing := func(a *api.Analysis) string {
		c := &api.Canary{Metadata: api.ObjectMeta{Name: "p", Namespace: "n"}, Spec: api.CanarySpec{TargetRef: api.CrossRef{Kind: "Deployment", Name: "p"}, Analysis: a}}
		f := notify.Facts(c)
		if last := f[len(f)-1]; last.Name == "Traffic routing" {
			return last.Value
		}
		return ""
	}
	tests := []struct {
		a    api.Analysis
		want string
	}{
		{api.Analysis{StepWeight: 5, MaxWeight: 50}, "Weight step: 5 max: 50"},
		{api.Analysis{StepWeights: []int{1, 10, 50}, MaxWeight: 50}, "Weight steps: 1,10,50 max: 50"},
		{api.Analysis{Iterations: 10, Match: []any{map[string]any{"headers": nil}}}, "A/B Testing"},
		{api.Analysis{Iterations: 10}, "Blue/Green"},
		{api.Analysis{}, ""},
	}
	for _, tt := range tests {
		if got := routing(&tt.a); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.a, got, tt.want)
		}
	}
}
