package notify

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Event is one event of a transition (api.Event).
type Event = api.Event

// Transition is one step of a canary: a commit, or a wait that begins (the
// canary starts waiting for an approval).
type Transition struct {
	// Canary is the canary the step is about.
	Canary *api.Canary
	// Status is the status after the step.
	Status api.Status
	// Revision is the revision the events are about (the failed one on a
	// rollback).
	Revision string
	// Events are the step's events, in order.
	Events []Event
	// Reason is the failure that led to a rollback, typically the text of
	// the last failed check ("Halt podinfo.test advancement success rate
	// 69.17% < 99%"); it is added to the failure alert. Optional.
	Reason string
}

// Alerts returns the notifications Flagger sends for the transition's
// events. It is pure: the Dispatcher posts what it returns.
//
//	Initialization done! …                       → New Deployment detected, initialization completed. (info, canary facts)
//	New revision detected! Scaling up …          → New revision detected, progressing canary analysis. (info, canary facts)
//	Promotion completed! Scaling down …          → Canary analysis completed successfully, promotion finished. (info)
//	Promotion completed! Canary analysis was skipped … → Canary analysis was skipped, promotion finished. (info)
//	Rolling back … failed checks threshold reached N → Failed checks threshold reached N (error, Reason)
//	Rolling back … progress deadline exceeded E  → Progress deadline exceeded E (error)
//	Rolling back … manual webhook invoked        → Rolling back manual webhook invoked (warn)
//	Halt … waiting for [traffic increase |promotion ]approval H → the same text (warn), unless hook H has muteAlert
//
// Other events (steps, halts on metrics) send nothing, as in Flagger.
func Alerts(t Transition) []Message {
	c := t.Canary
	key := c.Key()
	var out []Message
	add := func(text string, sev Severity, fields []Field) {
		out = append(out, Message{
			Name:      c.Metadata.Name,
			Namespace: c.Metadata.Namespace,
			Target:    target(c),
			Text:      text,
			Severity:  sev,
			Fields:    fields,
			Revision:  t.Revision,
		})
	}
	rollingBack := "Rolling back " + key + " "
	halt := "Halt " + key + " advancement waiting for "
	for _, e := range t.Events {
		s := e.Text
		switch {
		case s == "Initialization done! "+key:
			add(fmt.Sprintf("New %s detected, initialization completed.", c.Spec.TargetRef.Kind), SeverityInfo, Facts(c))
		case strings.HasPrefix(s, "New revision detected! Scaling up "):
			add("New revision detected, progressing canary analysis.", SeverityInfo, Facts(c))
		case strings.HasPrefix(s, "Promotion completed! Canary analysis was skipped for "):
			add("Canary analysis was skipped, promotion finished.", SeverityInfo, nil)
		case strings.HasPrefix(s, "Promotion completed! Scaling down "):
			add("Canary analysis completed successfully, promotion finished.", SeverityInfo, nil)
		case strings.HasPrefix(s, rollingBack+"failed checks threshold reached "):
			n := strings.TrimPrefix(s, rollingBack+"failed checks threshold reached ")
			var fields []Field
			if t.Reason != "" {
				fields = []Field{{Name: "Reason", Value: t.Reason}}
			}
			add("Failed checks threshold reached "+n, SeverityError, fields)
		case strings.HasPrefix(s, rollingBack+"progress deadline exceeded"):
			add("Progress deadline exceeded"+strings.TrimPrefix(s, rollingBack+"progress deadline exceeded"), SeverityError, nil)
		case s == rollingBack+"manual webhook invoked":
			add("Rolling back manual webhook invoked", SeverityWarn, nil)
		case strings.HasPrefix(s, halt):
			if !muted(c, strings.TrimPrefix(s, halt)) {
				add(s, SeverityWarn, nil)
			}
		}
	}
	return out
}

// muted reports whether the approval hook a wait text names has muteAlert.
func muted(c *api.Canary, rest string) bool {
	for prefix, typ := range map[string]string{
		"approval ":                  webhooks.ConfirmRollout,
		"promotion approval ":        webhooks.ConfirmPromotion,
		"traffic increase approval ": webhooks.ConfirmTrafficIncrease,
	} {
		name, ok := strings.CutPrefix(rest, prefix)
		if !ok {
			continue
		}
		for _, h := range webhooks.OfType(c, typ) {
			if h.Name == name {
				return h.MuteAlert
			}
		}
	}
	return false
}

// target renders the canary's target as Flagger does: Deployment/podinfo.test.
func target(c *api.Canary) string {
	return fmt.Sprintf("%s/%s.%s", c.Spec.TargetRef.Kind, c.Spec.TargetRef.Name, c.Metadata.Namespace)
}

// Facts are the fields Flagger shows when a rollout starts: Target, Failed
// checks threshold, Progress deadline and Traffic routing.
func Facts(c *api.Canary) []Field {
	fields := []Field{{Name: "Target", Value: target(c)}}
	a := c.Spec.Analysis
	if a == nil {
		return fields
	}
	deadline := int32(600)
	if d := c.Spec.ProgressDeadlineSeconds; d != nil {
		deadline = *d
	}
	fields = append(fields,
		Field{Name: "Failed checks threshold", Value: strconv.Itoa(a.Threshold)},
		Field{Name: "Progress deadline", Value: fmt.Sprintf("%ds", deadline)},
	)
	var routing string
	switch {
	case a.StepWeight > 0:
		routing = fmt.Sprintf("Weight step: %d max: %d", a.StepWeight, a.MaxWeight)
	case len(a.StepWeights) > 0:
		steps := make([]string, len(a.StepWeights))
		for i, w := range a.StepWeights {
			steps[i] = strconv.Itoa(w)
		}
		routing = fmt.Sprintf("Weight steps: %s max: %d", strings.Join(steps, ","), a.MaxWeight)
	case len(a.Match) > 0:
		routing = api.StrategyAB
	case a.Iterations > 0:
		routing = api.StrategyBlueGreen
	}
	if routing != "" {
		fields = append(fields, Field{Name: "Traffic routing", Value: routing})
	}
	return fields
}
