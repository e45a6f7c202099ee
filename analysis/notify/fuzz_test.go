package notify_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/analysis/notify"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// FuzzParseAlertProviders: any file is parsed within api's limits, never
// panics, every error is an *api.FieldError naming the file, and every
// provider that comes out has a type, a namespace and its source.
func FuzzParseAlertProviders(f *testing.F) {
	f.Add([]byte(providersFile))
	f.Add([]byte("apiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata: {name: a}\nspec: {type: slack, address: 'https://hooks.slack.com/services/T/B/xoxb-secret'}\n"))
	f.Add([]byte("apiVersion: flagger.app/v1beta1\nkind: AlertProvider\nspec: {type: &t [*t]}\n"))
	f.Add([]byte("kind: AlertProvider\n---\nkind: AlertProvider\nspec: [1, {chanel: x}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := notify.ParseAlertProviders("apps/x/alerts.yaml", data)
		for _, e := range joined(err) {
			var fe *api.FieldError
			if !errors.As(e, &fe) || !strings.HasPrefix(e.Error(), "apps/x/alerts.yaml") {
				t.Fatalf("error does not name the file: %v", e)
			}
		}
		for _, p := range ps {
			if p.Spec.Type == "" || p.Metadata.Namespace == "" || p.Source.Path != "apps/x/alerts.yaml" {
				t.Fatalf("provider without type, namespace or source: %+v", p)
			}
		}
	})
}

// joined flattens errors.Join.
func joined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, joined(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
