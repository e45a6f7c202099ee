package analysis

import (
	"fmt"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// TemplateLookup finds MetricTemplates by namespace and name.
type TemplateLookup interface {
	MetricTemplate(namespace, name string) (*MetricTemplate, bool)
}

// Templates is a TemplateLookup over the templates found in a repository,
// keyed by "namespace/name".
type Templates map[string]*MetricTemplate

// Add adds a template. A second template with the same namespace and name
// is an error naming both documents.
func (ts Templates) Add(t *MetricTemplate) error {
	k := t.Metadata.Namespace + "/" + t.Metadata.Name
	if prev, ok := ts[k]; ok {
		return &api.FieldError{
			Source: t.Source,
			Object: "MetricTemplate " + k,
			Field:  "metadata.name",
			Msg:    fmt.Sprintf("duplicate MetricTemplate, already defined in %s", prev.Source),
		}
	}
	ts[k] = t
	return nil
}

// MetricTemplate implements TemplateLookup.
func (ts Templates) MetricTemplate(namespace, name string) (*MetricTemplate, bool) {
	t, ok := ts[namespace+"/"+name]
	return t, ok
}
