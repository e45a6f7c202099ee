package notify

import (
	"errors"
	"fmt"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Catalog is the set of AlertProviders found in the repository, by
// namespace and name.
type Catalog struct {
	byKey map[string]*AlertProvider
}

// NewCatalog indexes providers. Two documents with the same namespace and
// name are an error naming both; the first one is kept.
func NewCatalog(providers ...*AlertProvider) (*Catalog, error) {
	c := &Catalog{byKey: make(map[string]*AlertProvider, len(providers))}
	var errs []error
	for _, p := range providers {
		if prev, ok := c.byKey[p.Key()]; ok {
			errs = append(errs, &api.FieldError{
				Source: p.Source,
				Object: fmt.Sprintf("%s %s", KindAlertProvider, p.Key()),
				Field:  "metadata.name",
				Msg:    fmt.Sprintf("duplicate AlertProvider, first defined in %s", prev.Source),
			})
			continue
		}
		c.byKey[p.Key()] = p
	}
	return c, errors.Join(errs...)
}

// Get returns the provider namespace/name.
func (c *Catalog) Get(namespace, name string) (*AlertProvider, bool) {
	if c == nil {
		return nil, false
	}
	p, ok := c.byKey[namespace+"/"+name]
	return p, ok
}

// providerNamespace is where an alert's provider lives: its providerRef's
// namespace, else the canary's.
func providerNamespace(c *api.Canary, a api.Alert) string {
	if a.ProviderRef != nil && a.ProviderRef.Namespace != "" {
		return a.ProviderRef.Namespace
	}
	return c.Metadata.Namespace
}

// CheckAlerts validates the canary's analysis.alerts against the catalog
// and returns one *api.FieldError per problem, joined; nil when they are
// fine. A nil catalog skips the provider lookups.
func CheckAlerts(c *api.Canary, cat *Catalog) error {
	a := c.Spec.Analysis
	if a == nil {
		return nil
	}
	var errs []error
	for i, al := range a.Alerts {
		add := func(field, format string, args ...any) {
			errs = append(errs, &api.FieldError{
				Source: c.Source,
				Object: fmt.Sprintf("%s %s/%s", api.KindCanary, c.Metadata.Namespace, c.Metadata.Name),
				Field:  fmt.Sprintf("spec.analysis.alerts[%d].%s", i, field),
				Msg:    fmt.Sprintf(format, args...),
			})
		}
		if al.Name == "" {
			add("name", "is required")
		}
		if _, err := ParseSeverity(al.Severity); err != nil {
			add("severity", "%v", err)
		}
		if al.ProviderRef == nil || al.ProviderRef.Name == "" {
			add("providerRef.name", "is required")
			continue
		}
		if cat != nil {
			ns := providerNamespace(c, al)
			if _, ok := cat.Get(ns, al.ProviderRef.Name); !ok {
				add("providerRef", "AlertProvider %s/%s not found in the repository", ns, al.ProviderRef.Name)
			}
		}
	}
	return errors.Join(errs...)
}
