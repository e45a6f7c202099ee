package notify_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/analysis/notify"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

const providersFile = `apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata:
  name: on-call
  namespace: flagger
spec:
  type: slack
  channel: on-call-alerts
  username: flagger
  secretRef:
    name: on-call-url
---
apiVersion: gitcanary.dev/v1beta1
kind: AlertProvider
metadata:
  name: teams
spec:
  type: msteams
  address: https://outlook.office.com/webhook/abc
  proxy: http://proxy.corp:3128
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
`

func TestParseAlertProviders(t *testing.T) {
	t.Parallel()
	ps, err := notify.ParseAlertProviders("alerts/providers.yaml", []byte(providersFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 {
		t.Fatalf("got %d providers, want 2", len(ps))
	}
	on := ps[0]
	if on.Key() != "flagger/on-call" || on.Spec.Type != "slack" || on.Spec.Channel != "on-call-alerts" ||
		on.Spec.SecretRef == nil || on.Spec.SecretRef.Name != "on-call-url" || on.Source.String() != "alerts/providers.yaml: document 1" {
		t.Errorf("on-call = %+v", on)
	}
	if ps[1].Key() != "default/teams" || ps[1].Spec.Proxy != "http://proxy.corp:3128" || ps[1].Source.Index != 1 {
		t.Errorf("teams = %+v", ps[1])
	}
}

func TestParseAlertProvidersErrors(t *testing.T) {
	t.Parallel()
	const secret = "https://hooks.slack.com/services/T0SECRET"
	doc := func(spec string) string {
		return "apiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata:\n  name: p\n  namespace: test\nspec:\n" + spec
	}
	tests := []struct{ name, in, want string }{
		{"missing type", doc("  address: https://x.test/\n"),
			"f.yaml: document 1 (AlertProvider test/p): spec.type: is required (supported: slack, msteams, discord, rocket, gchat, generic)"},
		{"unknown type", doc("  type: pagerduty\n  address: https://x.test/\n"),
			`f.yaml: document 1 (AlertProvider test/p): spec.type: unknown provider type "pagerduty" (supported: slack, msteams, discord, rocket, gchat, generic)`},
		{"no address", doc("  type: slack\n"),
			"f.yaml: document 1 (AlertProvider test/p): spec.address: spec.address or spec.secretRef is required"},
		{"misspelt field", doc("  type: slack\n  chanel: x\n  address: https://x.test/\n"),
			"f.yaml: document 1 (AlertProvider test/p): spec.chanel: unknown field"},
		{"wrong type", doc("  type: slack\n  address: https://x.test/\n  secretRef: on-call\n"),
			"f.yaml: document 1 (AlertProvider test/p): spec.secretRef: want notify.SecretRef, got string"},
		{"bad address not echoed", doc("  type: slack\n  address: " + strings.TrimPrefix(secret, "https://") + "\n"),
			"f.yaml: document 1 (AlertProvider test/p): spec.address: address is not an absolute http or https URL"},
		{"bad secret name", doc("  type: slack\n  secretRef:\n    name: ../other/secret\n"),
			`f.yaml: document 1 (AlertProvider test/p): spec.secretRef.name: must be a Secret name, got "../other/secret"`},
		{"bad yaml", "kind: AlertProvider\n  x: [", "f.yaml: document 1: invalid YAML: line 2: mapping values are not allowed in this context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := notify.ParseAlertProviders("f.yaml", []byte(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got  %v\nwant %s", err, tt.want)
			}
			var fe *api.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("want an *api.FieldError, got %T", err)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Fatalf("error leaks the address: %v", err)
			}
		})
	}
}

func TestCatalogDuplicates(t *testing.T) {
	t.Parallel()
	a, _ := notify.ParseAlertProviders("a.yaml", []byte(providersFile))
	b, _ := notify.ParseAlertProviders("b.yaml", []byte(providersFile))
	cat, err := notify.NewCatalog(append(a, b...)...)
	want := "b.yaml: document 1 (AlertProvider flagger/on-call): metadata.name: duplicate AlertProvider, first defined in a.yaml: document 1"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v, want %s", err, want)
	}
	if p, ok := cat.Get("flagger", "on-call"); !ok || p.Source.Path != "a.yaml" {
		t.Fatalf("first definition not kept: %+v", p)
	}
}

func TestConfigFromSecretDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeSecret(t, dir, "flagger", "on-call-url", "address", "https://hooks.slack.com/services/T0/B0/X\n")
	ps, _ := notify.ParseAlertProviders("p.yaml", []byte(providersFile))
	cfg, err := ps[0].Config(notify.SecretDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Address != "https://hooks.slack.com/services/T0/B0/X" || cfg.Token != "" || cfg.Channel != "on-call-alerts" || cfg.Type != "slack" {
		t.Fatalf("cfg = %+v", cfg)
	}
	writeSecret(t, dir, "flagger", "on-call-url", "token", "xoxb-1")
	if cfg, _ := ps[0].Config(notify.SecretDir(dir)); cfg.Token != "xoxb-1" {
		t.Fatalf("token not read: %+v", cfg)
	}

	_, err = ps[0].Config(notify.SecretDir(t.TempDir()))
	if !errors.Is(err, notify.ErrNoSecretKey) || !strings.Contains(err.Error(), `alert provider flagger/on-call: secret flagger/on-call-url has no key "address"`) {
		t.Fatalf("missing secret: %v", err)
	}
	if _, err := ps[0].Config(nil); err == nil {
		t.Fatal("no credentials dir: want an error")
	}
	if _, err := notify.SecretDir(dir).Read("flagger", "..", "address"); err == nil {
		t.Fatal("path traversal: want an error")
	}
}

func writeSecret(t *testing.T, dir, ns, name, key, value string) {
	t.Helper()
	p := filepath.Join(dir, ns, name)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, key), []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCheckAlerts(t *testing.T) {
	t.Parallel()
	ps, _ := notify.ParseAlertProviders("p.yaml", []byte(providersFile))
	cat, _ := notify.NewCatalog(ps...)
	c := parseCanary(t, `    alerts:
      - name: on-call
        severity: error
        providerRef:
          name: on-call
          namespace: flagger
      - name: typo
        severity: critical
        providerRef:
          name: on-cal
      - name: ""
`)
	want := strings.Join([]string{
		`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.alerts[1].severity: unknown severity "critical" (want info, warn or error)`,
		`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.alerts[1].providerRef: AlertProvider test/on-cal not found in the repository`,
		`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.alerts[2].name: is required`,
		`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.alerts[2].providerRef.name: is required`,
	}, "\n")
	if err := notify.CheckAlerts(c, cat); err == nil || err.Error() != want {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestSeverityIncludes(t *testing.T) {
	t.Parallel()
	all := []notify.Severity{notify.SeverityInfo, notify.SeverityWarn, notify.SeverityError}
	want := map[notify.Severity][]bool{
		notify.SeverityInfo:  {true, true, true},
		notify.SeverityWarn:  {false, true, true},
		notify.SeverityError: {false, false, true},
	}
	for alert, row := range want {
		for i, m := range all {
			if got := alert.Includes(m); got != row[i] {
				t.Errorf("alert %s, message %s: got %v, want %v", alert, m, got, row[i])
			}
		}
	}
	if s, err := notify.ParseSeverity(""); err != nil || s != notify.SeverityInfo {
		t.Errorf("empty severity: %q %v", s, err)
	}
}
