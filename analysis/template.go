package analysis

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/prometheus/common/model"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Model is what a query template refers to, as in Flagger's MetricTemplate
// queries: {{ name }}, {{ namespace }}, {{ target }}, {{ service }},
// {{ ingress }}, {{ route }}, {{ interval }} and {{ variables.KEY }}.
type Model struct {
	// Name and Namespace are the canary's.
	Name      string
	Namespace string
	// Target is spec.targetRef.name.
	Target string
	// Service is spec.service.name (default: the target's name).
	Service string
	// Ingress is spec.ingressRef.name (default: the target's name).
	Ingress string
	// Route is spec.routeRef.name (default: the target's name).
	Route string
	// Interval is the metric's interval, rendered as a Prometheus duration
	// ("1m", "30s", "1m30s").
	Interval time.Duration
	// Variables are the metric's templateVariables. A key the query uses
	// but the metric does not set is an error.
	Variables map[string]string
}

// ModelFor returns the template model of one metric of a canary.
func ModelFor(c *api.Canary, m api.Metric) Model {
	target := c.Spec.TargetRef.Name
	service := c.Spec.Service.Name
	if service == "" {
		service = target
	}
	ingress, route := target, target
	if c.Spec.IngressRef != nil && c.Spec.IngressRef.Name != "" {
		ingress = c.Spec.IngressRef.Name
	}
	if c.Spec.RouteRef != nil && c.Spec.RouteRef.Name != "" {
		route = c.Spec.RouteRef.Name
	}
	return Model{
		Name:      c.Metadata.Name,
		Namespace: c.Metadata.Namespace,
		Target:    target,
		Service:   service,
		Ingress:   ingress,
		Route:     route,
		Interval:  m.Interval.Duration,
		Variables: m.TemplateVariables,
	}
}

// Render expands a query template with the model. Templates are Go
// text/template with the model's fields as functions, like Flagger's;
// whitespace is kept as written.
func Render(query string, m Model) (string, error) {
	t, err := parseQuery(query, m.funcs())
	if err != nil {
		return "", err
	}
	if err := checkCost(t, len(m.Variables)); err != nil {
		return "", err
	}
	b := &limitedBuilder{max: MaxQueryBytes}
	if err := t.Execute(b, nil); err != nil {
		if errors.Is(err, errQueryTooLong) {
			return "", fmt.Errorf("rendering query: %w", errQueryTooLong)
		}
		if k := missingKey.FindStringSubmatch(err.Error()); k != nil {
			return "", fmt.Errorf("rendering query: the query uses variables.%s but the metric's templateVariables do not set %s", k[1], k[1])
		}
		return "", fmt.Errorf("rendering query: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	return b.String(), nil
}

var missingKey = regexp.MustCompile(`at <variables>: map has no entry for key "(.*)"`)

// CheckQuery reports whether a query template parses and uses only the
// model's functions (and text/template's own), without rendering it.
func CheckQuery(query string) error {
	t, err := parseQuery(query, Model{}.funcs())
	if err != nil {
		return err
	}
	return checkCost(t, 0)
}

func parseQuery(query string, funcs template.FuncMap) (*template.Template, error) {
	t, err := template.New("query").Option("missingkey=error").Funcs(funcs).Parse(query)
	if err != nil {
		return nil, fmt.Errorf("parsing query template: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	return t, nil
}

func (m Model) funcs() template.FuncMap {
	vars := m.Variables
	if vars == nil {
		vars = map[string]string{}
	}
	return template.FuncMap{
		"name":      func() string { return m.Name },
		"namespace": func() string { return m.Namespace },
		"target":    func() string { return m.Target },
		"service":   func() string { return m.Service },
		"ingress":   func() string { return m.Ingress },
		"route":     func() string { return m.Route },
		"interval":  func() string { return model.Duration(m.Interval).String() },
		"variables": func() map[string]string { return vars },
	}
}
