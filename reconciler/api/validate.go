package api

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Strategy names, derived from the analysis as Flagger does.
const (
	StrategyCanary    = "Canary"
	StrategyAB        = "A/B Testing"
	StrategyBlueGreen = "Blue/Green"
)

// Builtin metric names every provider implements.
const (
	MetricRequestSuccessRate = "request-success-rate"
	MetricRequestDuration    = "request-duration"
)

// Strategy returns the delivery strategy the analysis describes.
func (a *Analysis) Strategy() string {
	switch {
	case len(a.Match) > 0 && a.Iterations > 0:
		return StrategyAB
	case a.Iterations > 0:
		return StrategyBlueGreen
	}
	return StrategyCanary
}

// normalize applies v1alpha3 conversion and Flagger's defaults.
func (c *Canary) normalize(defaultProvider string) {
	s := &c.Spec
	if s.Analysis == nil {
		s.Analysis = s.CanaryAnalysis
	}
	s.CanaryAnalysis = nil
	if s.Provider == "" {
		s.Provider = defaultProvider
	}
	if s.Provider == "" {
		s.Provider = DefaultProvider
	}
	if s.Service.Name == "" {
		s.Service.Name = s.TargetRef.Name
	}
	if s.Service.PortName == "" {
		s.Service.PortName = "http"
	}
	if s.ProgressDeadlineSeconds == nil {
		d := int32(600)
		s.ProgressDeadlineSeconds = &d
	}
	a := s.Analysis
	if a == nil {
		return
	}
	if a.Interval.Duration == 0 {
		a.Interval.Duration = defaultInterval
	}
	if a.Threshold <= 0 {
		a.Threshold = 1
	}
	if n := len(a.StepWeights); n > 0 {
		a.MaxWeight = min(100, a.StepWeights[n-1])
	} else if a.MaxWeight == 0 {
		a.MaxWeight = 100
	}
	if sa := a.SessionAffinity; sa != nil && sa.MaxAge == 0 {
		sa.MaxAge = DefaultCookieMaxAge
	}
	for i := range a.Metrics {
		m := &a.Metrics[i]
		if m.Interval.Duration == 0 {
			m.Interval.Duration = defaultMetricWindow
		}
		if m.Threshold != nil && m.ThresholdRange == nil {
			v := *m.Threshold
			if m.Name == MetricRequestSuccessRate {
				m.ThresholdRange = &Range{Min: &v}
			} else {
				m.ThresholdRange = &Range{Max: &v}
			}
		}
		m.Threshold = nil
		if m.OnNoData == "" {
			m.OnNoData = "fail"
		}
	}
}

// Validate checks the spec and returns one FieldError per problem.
func (c *Canary) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{
			Source: c.Source,
			Object: ObjectName(KindCanary, c.Metadata.Namespace, c.Metadata.Name),
			Field:  field,
			Msg:    fmt.Sprintf(format, args...),
		})
	}
	c.validateInput(add)
	s := &c.Spec
	if c.Metadata.Name == "" {
		add("metadata.name", "is required")
	}
	switch {
	case s.TargetRef.Name == "":
		add("spec.targetRef.name", "is required")
	case s.TargetRef.Kind == "":
		add("spec.targetRef.kind", "is required")
	}
	if s.Service.Port <= 0 || s.Service.Port > 65535 {
		add("spec.service.port", "must be a port number between 1 and 65535, got %d", s.Service.Port)
	}
	a := s.Analysis
	if a == nil {
		add("spec.analysis", "is required")
		return errors.Join(errs...)
	}
	if a.Interval.Duration < time.Second {
		add("spec.analysis.interval", "must be at least 1s, got %s", a.Interval.Duration)
	}
	if a.StepWeight < 0 || a.StepWeight > 100 {
		add("spec.analysis.stepWeight", "must be between 1 and 100, got %d", a.StepWeight)
	}
	if a.MaxWeight <= 0 || a.MaxWeight > 100 {
		add("spec.analysis.maxWeight", "must be between 1 and 100, got %d", a.MaxWeight)
	}
	if a.StepWeightPromotion < 0 || a.StepWeightPromotion > 100 {
		add("spec.analysis.stepWeightPromotion", "must be between 0 and 100, got %d", a.StepWeightPromotion)
	}
	for i, w := range a.StepWeights {
		if w <= 0 || w > 100 {
			add(fmt.Sprintf("spec.analysis.stepWeights[%d]", i), "must be between 1 and 100, got %d", w)
		} else if i > 0 && w <= a.StepWeights[i-1] {
			add(fmt.Sprintf("spec.analysis.stepWeights[%d]", i), "must be greater than the step before it (%d), got %d", a.StepWeights[i-1], w)
		}
	}
	if a.Iterations < 0 {
		add("spec.analysis.iterations", "must not be negative, got %d", a.Iterations)
	}
	if a.Strategy() == StrategyCanary && a.StepWeight == 0 && len(a.StepWeights) == 0 {
		add("spec.analysis.stepWeight", "is required for a canary release (or set stepWeights, or iterations for A/B and blue/green)")
	}
	validateStrategy(a, add)
	for i, m := range a.Metrics {
		f := fmt.Sprintf("spec.analysis.metrics[%d]", i)
		if m.Name == "" {
			add(f+".name", "is required")
		}
		builtin := m.Name == MetricRequestSuccessRate || m.Name == MetricRequestDuration
		if !builtin && m.TemplateRef == nil && m.Query == "" {
			add(f+".templateRef", "metric %q is not a builtin (%s, %s): set templateRef to a MetricTemplate", m.Name, MetricRequestSuccessRate, MetricRequestDuration)
		}
		if r := m.ThresholdRange; r != nil && r.Min != nil && r.Max != nil && *r.Min > *r.Max {
			add(f+".thresholdRange", "min %v is greater than max %v", *r.Min, *r.Max)
		}
		if m.OnNoData != "fail" && m.OnNoData != "skip" {
			add(f+".onNoData", "must be fail or skip, got %q", m.OnNoData)
		}
		if m.Interval.Duration < time.Second {
			add(f+".interval", "must be at least 1s, got %s", m.Interval.Duration)
		}
	}
	if g := s.GitOps.SyncGate; g != nil {
		switch {
		case !oneOf(g.Type, "", "none", "commitStatus", "prometheus"):
			add("spec.gitops.syncGate.type", "must be none, commitStatus or prometheus, got %q", g.Type)
		case g.Type == "commitStatus" && g.Context == "":
			add("spec.gitops.syncGate.context", "is required for type commitStatus (e.g. kustomization/apps)")
		case g.Type == "prometheus" && g.Query == "":
			add("spec.gitops.syncGate.query", "is required for type prometheus")
		}
	}
	if ap := s.GitOps.Approval; ap != nil {
		if !oneOf(ap.Rollout, "", "none", "pullRequest") {
			add("spec.gitops.approval.rollout", "must be none or pullRequest, got %q", ap.Rollout)
		}
		if !oneOf(ap.Promotion, "", "none", "pullRequest") {
			add("spec.gitops.approval.promotion", "must be none or pullRequest, got %q", ap.Promotion)
		}
	}
	return errors.Join(errs...)
}

// validateStrategy checks what the strategies need whatever the provider
// (templates.Check says what each provider can do): mirroring and session
// affinity mean nothing in an A/B test, which routes the matching requests
// to the canary instead, and Flagger would ignore them there.
func validateStrategy(a *Analysis, add func(field, format string, args ...any)) {
	ab := a.Strategy() == StrategyAB
	for i, m := range a.Match {
		if _, ok := m.(map[string]any); !ok {
			add(fmt.Sprintf("spec.analysis.match[%d]", i), "must be an HTTPMatchRequest (headers, uri, method, queryParams...), got %v", m)
		}
	}
	if a.MirrorWeight < 0 || a.MirrorWeight > 100 {
		add("spec.analysis.mirrorWeight", "must be between 0 and 100, got %d", a.MirrorWeight)
	}
	switch {
	case a.MirrorWeight > 0 && !a.Mirror:
		add("spec.analysis.mirrorWeight", "has no effect without analysis.mirror: true")
	case a.Mirror && ab:
		add("spec.analysis.mirror", "an A/B test (analysis.match with iterations) routes the matching requests to the canary, it does not mirror: remove mirror, or match for blue/green")
	}
	sa := a.SessionAffinity
	if sa == nil {
		return
	}
	if ab {
		add("spec.analysis.sessionAffinity", "an A/B test (analysis.match with iterations) routes requests by its match, not by a cookie: remove sessionAffinity, or match")
	}
	switch {
	case sa.CookieName == "":
		add("spec.analysis.sessionAffinity.cookieName", "is required")
	case !cookieToken(sa.CookieName):
		add("spec.analysis.sessionAffinity.cookieName", "must be letters, digits and -._~, got %q", sa.CookieName)
	}
	switch {
	case sa.PrimaryCookieName == "":
	case !cookieToken(sa.PrimaryCookieName):
		add("spec.analysis.sessionAffinity.primaryCookieName", "must be letters, digits and -._~, got %q", sa.PrimaryCookieName)
	case sa.PrimaryCookieName == sa.CookieName:
		add("spec.analysis.sessionAffinity.primaryCookieName", "must differ from cookieName %q", sa.CookieName)
	}
	if sa.MaxAge < 0 {
		add("spec.analysis.sessionAffinity.maxAge", "must not be negative, got %d", sa.MaxAge)
	}
	if !oneOf(sa.SameSite, "", "Strict", "Lax", "None") {
		add("spec.analysis.sessionAffinity.sameSite", "must be Strict, Lax or None, got %q", sa.SameSite)
	}
}

func oneOf(s string, options ...string) bool { return slices.Contains(options, s) }
