package notify_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"

	"github.com/gitcanary/gitcanary/analysis/notify"
	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

func TestOptionsFlagsAndValidate(t *testing.T) {
	t.Parallel()
	o := notify.DefaultOptions()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	o.BindFlags(fs)
	err := fs.Parse([]string{"--alert-provider=pagerduty", "--events-addr=notification-controller", "--alert-timeout=0s", "--alert-proxy=::"})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		`--alert-provider must be one of slack, msteams, discord, rocket, gchat, generic, got "pagerduty"`,
		`--alert-proxy: proxy is not an absolute http or https URL`,
		`--events-addr "notification-controller": address is not an absolute http or https URL`,
		`--alert-timeout must be positive, got 0s`,
	}, "\n")
	if err := o.Validate(); err == nil || err.Error() != want {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
	if fs.Lookup("alert-address") != nil {
		t.Fatal("a flag must never take a secret")
	}
}

// TestOptionsNewDispatcher wires the global provider from the environment,
// the Flux events recorder and the event webhooks, then dispatches one
// transition and checks every destination got it.
func TestOptionsNewDispatcher(t *testing.T) {
	t.Parallel()
	slack, flux, hooks := newSink(t, 200), newSink(t, 202), newSink(t, 202)
	env := map[string]string{notify.EnvAlertAddress: slack.URL + "/services/SECRET"}
	o := notify.DefaultOptions()
	o.Provider = "slack"
	o.Channel = "deploys"
	o.EventsAddr = flux.URL + "/"
	caller := webhooks.New(webhooks.WithEventWebhook(hooks.URL + "/events"))
	var logs logBuffer
	d, err := o.NewDispatcher(logs.logger(), func(k string) string { return env[k] }, caller)
	if err != nil {
		t.Fatal(err)
	}
	d.Dispatch(context.Background(), nil, notify.Transition{
		Canary: parseCanary(t, ""), Status: api.Status{Phase: api.PhaseSucceeded}, Revision: "r2",
		Events: []notify.Event{{Text: "Promotion completed! Scaling down podinfo.test"}},
	})
	if b := slack.bodies(); len(b) != 1 || !strings.Contains(b[0], `"channel":"deploys"`) || !strings.Contains(b[0], "Canary analysis completed successfully, promotion finished.") {
		t.Errorf("slack got %q", b)
	}
	if b := flux.bodies(); len(b) != 1 || !strings.Contains(b[0], `"reason":"Succeeded"`) {
		t.Errorf("flux got %q", b)
	}
	b := hooks.bodies()
	if len(b) != 1 || !strings.HasPrefix(b[0], `{"name":"podinfo","namespace":"test","phase":"Succeeded","checksum":"r2","metadata":{"eventMessage":"Promotion completed! Scaling down podinfo.test","eventType":"Normal","timestamp":"`) {
		t.Errorf("event webhook got %q", b)
	}
	if logs.String() != "" {
		t.Errorf("unexpected log:\n%s", logs.String())
	}
}

func TestOptionsGlobalAddress(t *testing.T) {
	t.Parallel()
	o := notify.DefaultOptions()
	o.Provider = "msteams"
	if _, err := o.NewDispatcher(logr.Discard(), func(string) string { return "" }, nil); err == nil ||
		err.Error() != "--alert-provider msteams needs an address: set $GITCANARY_ALERT_ADDRESS or --alert-address-file" {
		t.Fatalf("got %v", err)
	}
	file := filepath.Join(t.TempDir(), "address")
	if err := os.WriteFile(file, []byte("not a url SECRET\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o.AddressFile = file
	_, err := o.NewDispatcher(logr.Discard(), nil, nil)
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("got %v, want an error without the address", err)
	}
}
