package notify_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis/notify"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// TestDispatcher routes transitions of a canary with three alerts of
// increasing severity to three providers, one configured through a
// secretRef, and checks who got what, what the recorders saw and that a
// broken provider is logged without its address.
func TestDispatcher(t *testing.T) {
	t.Parallel()
	all, warn, errs, broken := newSink(t, 200), newSink(t, 200), newSink(t, 200), newSink(t, 500)
	creds := t.TempDir()
	writeSecret(t, creds, "test", "warn-url", "address", warn.URL+"/services/T0/SECRETPATH")
	providers := fmt.Sprintf(`apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata: {name: all, namespace: test}
spec: {type: generic, address: %s/all}
---
apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata: {name: warn, namespace: test}
spec: {type: slack, channel: deploys, secretRef: {name: warn-url}}
---
apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata: {name: errors, namespace: ops}
spec: {type: msteams, address: %s/errors}
---
apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata: {name: broken, namespace: test}
spec: {type: generic, address: %s/BROKENSECRET}
`, all.URL, errs.URL, broken.URL)
	ps, err := notify.ParseAlertProviders("alerts.yaml", []byte(providers))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := notify.NewCatalog(ps...)
	if err != nil {
		t.Fatal(err)
	}
	c := parseCanary(t, `    alerts:
      - {name: everything, severity: info, providerRef: {name: all}}
      - {name: trouble, severity: warn, providerRef: {name: warn}}
      - {name: pager, severity: error, providerRef: {name: errors, namespace: ops}}
      - {name: gone, providerRef: {name: missing}}
      - {name: flaky, providerRef: {name: broken}}
`)
	var mu sync.Mutex
	var recorded []string
	rec := notify.RecorderFunc(func(_ context.Context, tr notify.Transition, e notify.Event) error {
		mu.Lock()
		defer mu.Unlock()
		recorded = append(recorded, fmt.Sprintf("%s %s %v", tr.Status.Phase, e.Text, e.Warning))
		return nil
	})
	var logs logBuffer
	d := notify.NewDispatcher(logs.logger(), notify.WithSecrets(notify.SecretDir(creds)), notify.WithRecorder("test", rec), notify.WithClusterName("prod-eu"))
	ctx := context.Background()

	d.Dispatch(ctx, cat, notify.Transition{Canary: c, Status: api.Status{Phase: api.PhaseProgressing}, Revision: "r1",
		Events: []notify.Event{{Text: "New revision detected! Scaling up podinfo.test"}}})
	d.Dispatch(ctx, cat, notify.Transition{Canary: c, Status: api.Status{Phase: api.PhaseWaiting}, Revision: "r1",
		Events: []notify.Event{{Text: "Rolling back podinfo.test manual webhook invoked", Warning: true}}})
	d.Dispatch(ctx, cat, notify.Transition{Canary: c, Status: api.Status{Phase: api.PhaseFailed}, Revision: "r1",
		Reason: "Halt podinfo.test advancement success rate 69.17% < 99%",
		Events: []notify.Event{{Text: "Rolling back podinfo.test failed checks threshold reached 5", Warning: true}, {Text: "Canary failed! Scaling down podinfo.test", Warning: true}}})

	texts := func(s *sink) []string {
		var out []string
		for _, b := range s.bodies() {
			for _, text := range []string{"New revision detected, progressing canary analysis.", "Rolling back manual webhook invoked", "Failed checks threshold reached 5"} {
				if strings.Contains(b, text) {
					out = append(out, text)
				}
			}
		}
		return out
	}
	check := func(name string, s *sink, want ...string) {
		t.Helper()
		if got := texts(s); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s got %q, want %q", name, got, want)
		}
	}
	check("info", all, "New revision detected, progressing canary analysis.", "Rolling back manual webhook invoked", "Failed checks threshold reached 5")
	check("warn", warn, "Rolling back manual webhook invoked", "Failed checks threshold reached 5")
	check("error", errs, "Failed checks threshold reached 5")

	wantLast := `{"name":"podinfo","namespace":"test","target":"Deployment/podinfo.test","message":"Failed checks threshold reached 5","severity":"error","fields":[{"name":"Cluster","value":"prod-eu"},{"name":"Reason","value":"Halt podinfo.test advancement success rate 69.17% \u003c 99%"}],"revision":"r1"}`
	if b := all.bodies(); b[len(b)-1] != wantLast {
		t.Errorf("failure alert\n got %s\nwant %s", b[len(b)-1], wantLast)
	}
	if r := warn.requests(); len(r) == 0 || r[0].Path != "/services/T0/SECRETPATH" {
		t.Errorf("secretRef address not used: %+v", r)
	}

	wantRecorded := []string{
		"Progressing New revision detected! Scaling up podinfo.test false",
		"Waiting Rolling back podinfo.test manual webhook invoked true",
		"Failed Rolling back podinfo.test failed checks threshold reached 5 true",
		"Failed Canary failed! Scaling down podinfo.test true",
	}
	if strings.Join(recorded, "\n") != strings.Join(wantRecorded, "\n") {
		t.Errorf("recorded\n%s\nwant\n%s", strings.Join(recorded, "\n"), strings.Join(wantRecorded, "\n"))
	}

	out := logs.String()
	for _, want := range []string{`"msg"="alert skipped: AlertProvider not found" "error"=null "canary"="podinfo.test" "alert"="gone" "provider"="test/missing"`,
		`"msg"="alert can't be sent" "error"="post to ` + broken.URL + `/***: status 500: no_service for ***" "canary"="podinfo.test" "provider"="test/broken"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s\nlog:\n%s", want, out)
		}
	}
	for _, secret := range []string{"SECRET", warn.URL} {
		if strings.Contains(out, secret) {
			t.Errorf("log leaks %q:\n%s", secret, out)
		}
	}
}

func TestDispatcherGlobalProviders(t *testing.T) {
	t.Parallel()
	var got []string
	var mu sync.Mutex
	global := notify.NotifierFunc(func(_ context.Context, m notify.Message) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, string(m.Severity)+" "+m.Text)
		return nil
	})
	var logs logBuffer
	d := notify.NewDispatcher(logs.logger(), notify.WithGlobal("global", global))
	plain := parseCanary(t, "")
	d.Dispatch(context.Background(), nil, notify.Transition{Canary: plain, Events: []notify.Event{
		{Text: "Promotion completed! Scaling down podinfo.test"},
		{Text: "Rolling back podinfo.test manual webhook invoked", Warning: true},
	}})
	want := "info Canary analysis completed successfully, promotion finished.|warn Rolling back manual webhook invoked"
	if strings.Join(got, "|") != want {
		t.Fatalf("global got %q, want %q", got, want)
	}

	// A canary with its own alerts does not use the global providers.
	got = nil
	own := parseCanary(t, "    alerts:\n      - {name: x, providerRef: {name: nowhere}}\n")
	d.Dispatch(context.Background(), nil, notify.Transition{Canary: own, Events: []notify.Event{{Text: "Promotion completed! Scaling down podinfo.test"}}})
	if len(got) != 0 {
		t.Fatalf("global used for a canary with alerts: %q", got)
	}
}

func TestDispatcherTimeout(t *testing.T) {
	t.Parallel()
	stuck := notify.NotifierFunc(func(ctx context.Context, _ notify.Message) error {
		<-ctx.Done()
		return ctx.Err()
	})
	var logs logBuffer
	d := notify.NewDispatcher(logs.logger(), notify.WithGlobal("stuck", stuck), notify.WithTimeout(20*time.Millisecond))
	d.Dispatch(context.Background(), nil, notify.Transition{Canary: parseCanary(t, ""), Events: []notify.Event{{Text: "Initialization done! podinfo.test"}}})
	if !strings.Contains(logs.String(), `"msg"="alert can't be sent" "error"="context deadline exceeded" "canary"="podinfo.test" "provider"="stuck"`) {
		t.Fatalf("log:\n%s", logs.String())
	}
}
