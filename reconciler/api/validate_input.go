package api

import "fmt"

// validateInput checks what a hostile or careless document could use to
// reach outside its canary: names (they become paths and object names) and
// bounds the Kubernetes API would enforce.
func (c *Canary) validateInput(add func(field, format string, args ...any)) {
	label := func(field, name string) {
		if name != "" {
			if why := checkLabel(name); why != "" {
				add(field, "%s", why)
			}
		}
	}
	subdomain := func(field, name string) {
		if name != "" {
			if why := checkSubdomain(name); why != "" {
				add(field, "%s", why)
			}
		}
	}
	s := &c.Spec
	label("metadata.name", c.Metadata.Name)
	label("metadata.namespace", c.Metadata.Namespace)
	subdomain("spec.targetRef.name", s.TargetRef.Name)
	label("spec.service.name", s.Service.Name)
	if r := s.AutoscalerRef; r != nil {
		subdomain("spec.autoscalerRef.name", r.Name)
	}
	if r := s.IngressRef; r != nil {
		subdomain("spec.ingressRef.name", r.Name)
	}
	if d := s.ProgressDeadlineSeconds; d != nil && *d < 1 {
		add("spec.progressDeadlineSeconds", "must be at least 1, got %d", *d)
	}
	if a := s.Analysis; a != nil {
		for i, m := range a.Metrics {
			if r := m.TemplateRef; r != nil {
				subdomain(fmt.Sprintf("spec.analysis.metrics[%d].templateRef.name", i), r.Name)
				label(fmt.Sprintf("spec.analysis.metrics[%d].templateRef.namespace", i), r.Namespace)
			}
		}
	}
}
