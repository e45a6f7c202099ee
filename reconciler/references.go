package reconciler

import (
	"errors"
	"fmt"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/analysis/notify"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// CheckReferences checks what a canary names in the rest of the repository:
// every metric's templateRef is a MetricTemplate found in it, and every
// alert names an AlertProvider found in it (with a valid severity). It is
// the one check `validate` and the pass both make, so that a canary
// validate refuses is never run; it returns one *api.FieldError per
// problem, joined.
func CheckReferences(c *api.Canary, templates analysis.TemplateLookup, providers *notify.Catalog) error {
	a := c.Spec.Analysis
	if a == nil {
		return nil
	}
	var errs []error
	for i, m := range a.Metrics {
		ref := m.TemplateRef
		if ref == nil || ref.Name == "" {
			continue
		}
		ns := ref.Namespace
		if ns == "" {
			ns = c.Metadata.Namespace
		}
		if _, ok := templates.MetricTemplate(ns, ref.Name); !ok {
			errs = append(errs, &api.FieldError{
				Source: c.Source,
				Object: api.ObjectName(api.KindCanary, c.Metadata.Namespace, c.Metadata.Name),
				Field:  fmt.Sprintf("spec.analysis.metrics[%d].templateRef", i),
				Msg:    fmt.Sprintf("MetricTemplate %s/%s not found in the repository", ns, ref.Name),
			})
		}
	}
	if providers == nil {
		providers, _ = notify.NewCatalog()
	}
	errs = append(errs, notify.CheckAlerts(c, providers))
	return errors.Join(errs...)
}
