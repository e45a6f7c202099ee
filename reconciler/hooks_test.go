package reconciler

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	eventv1 "github.com/fluxcd/pkg/apis/event/v1beta1"
	"github.com/go-logr/logr/funcr"

	"github.com/gitcanary/gitcanary/analysis/notify"
	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/analysis/webhooks/webhookstest"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// receiver is an HTTP endpoint that records the bodies it is sent.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.bodies)
}

// hookWorld is a world whose canary calls webhooks on a flagger-loadtester
// stand-in and alerts a Slack-style receiver through an AlertProvider of
// the repository; every event also goes to a Flux notification-controller
// stand-in and to an event webhook.
type hookWorld struct {
	*world
	lt     *webhookstest.Loadtester
	ltSrv  *httptest.Server
	slack  *receiver
	flux   *receiver
	events *receiver
}

// newHookWorld pushes the canary's webhooks (YAML list items; {{lt}} is the
// loadtester's URL) with an event hook and an alert, and initializes it.
func newHookWorld(t *testing.T, hooks string) *hookWorld {
	t.Helper()
	w := &hookWorld{world: newWorld(t, fixture), lt: webhookstest.NewLoadtester(),
		slack: newReceiver(t), flux: newReceiver(t), events: newReceiver(t)}
	w.ltSrv = httptest.NewServer(w.lt)
	t.Cleanup(w.ltSrv.Close)
	hooks = strings.ReplaceAll(hooks, "{{lt}}", w.ltSrv.URL)
	w.ciCommit("webhooks and alerts", func(dir string) {
		replaceIn(t, dir, app+"canary.yaml", "    metrics:\n", "    webhooks:\n"+hooks+
			"      - name: events\n        type: event\n        url: "+w.events.URL+"/events\n"+
			"    alerts:\n      - name: on-call\n        severity: info\n        providerRef:\n          name: on-call\n"+
			"    metrics:\n")
		provider := "apiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata:\n  name: on-call\n  namespace: test\nspec:\n  type: slack\n  channel: on-call\n  address: " + w.slack.URL + "/hooks/T0/B0\n"
		if err := os.WriteFile(filepath.Join(dir, app+"alertprovider.yaml"), []byte(provider), 0o644); err != nil {
			t.Fatal(err)
		}
		gitRun(t, dir, "add", "-A")
	})
	caller := webhooks.New(webhooks.WithClock(func() time.Time { return w.now }))
	opts := notify.DefaultOptions()
	opts.EventsAddr = w.flux.URL + "/"
	log := funcr.New(func(prefix, args string) { w.logs.WriteString(args + "\n") }, funcr.Options{Verbosity: 1})
	disp, err := opts.NewDispatcher(log, func(string) string { return "" }, caller)
	if err != nil {
		t.Fatal(err)
	}
	WithWebhooks(caller)(w.rec)
	WithDispatcher(disp)(w.rec)
	w.pass(0)
	if got := w.subject(); got != "Initialization done! podinfo.test" {
		t.Fatalf("init: %s", got)
	}
	return w
}

// subject is the subject of the branch's last commit.
func (w *world) subject() string {
	return gitRun(w.t, w.remote, "log", "-1", "--format=%s", "main")
}

// since returns the subjects after the first n.
func (w *world) since(n int) []string { return w.subjects()[n:] }

// revision is the Canary-Revision trailer of the last commit.
func (w *world) revision() string {
	return gitRun(w.t, w.remote, "log", "-1", "--format=%(trailers:key=Canary-Revision,valueonly)", "main")
}

// hookBodies returns the bodies the loadtester got on path.
func (w *hookWorld) hookBodies(path string) []string {
	var out []string
	for _, r := range w.lt.Requests() {
		if r.Path == path {
			out = append(out, string(r.Body))
		}
	}
	return out
}

func wantSubjects(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestConfirmRolloutWaitsForTheGate(t *testing.T) {
	w := newHookWorld(t, "      - name: gate\n        type: confirm-rollout\n        url: {{lt}}/gate/check\n")
	n := len(w.subjects())
	bumpImage(w.world, "6.0.1")
	w.setChecks(pass)
	w.pass(tick)
	wantSubjects(t, w.since(n), "bump podinfo to 6.0.1", "Halt podinfo.test advancement waiting for approval gate")
	if st := w.show("main", gen+"status.yaml"); !strings.Contains(st, "phase: Waiting") {
		t.Errorf("status:\n%s", st)
	}
	// The waiting canary runs no pods and gets no traffic.
	if ls := gitRun(t, w.remote, "ls-tree", "--name-only", "main", gen); !strings.Contains(ls, "scale-down.yaml") || w.weights("main") != "100/0" {
		t.Errorf("waiting canary scaled up or routed: %s %s", ls, w.weights("main"))
	}
	for i := 0; i < 3; i++ {
		if res := w.pass(tick); res.Commits != 0 {
			t.Fatalf("pass %d while the gate is closed committed: %v", i, w.since(n))
		}
	}
	w.lt.SetGate("podinfo.test", true)
	w.pass(tick)
	w.pass(tick)
	wantSubjects(t, w.since(n), "bump podinfo to 6.0.1", "Halt podinfo.test advancement waiting for approval gate",
		"New revision detected! Scaling up podinfo.test", "Starting canary analysis for podinfo.test")
	if body := gitRun(t, w.remote, "log", "-1", "--format=%b", "main~1"); !strings.HasPrefix(body, "Confirm-rollout check gate passed\n") {
		t.Errorf("confirmation not in the body:\n%s", body)
	}
	// Asked once per pass: phase Initialized, then Waiting; the checksum
	// is the revision.
	rev := w.revision()
	first := `{"name":"podinfo","namespace":"test","phase":"Initialized","checksum":"` + rev + `"}`
	waiting := `{"name":"podinfo","namespace":"test","phase":"Waiting","checksum":"` + rev + `"}`
	if got, want := w.hookBodies("/gate/check"), []string{first, waiting, waiting, waiting, waiting}; !slices.Equal(got, want) {
		t.Errorf("gate payloads:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The wait is alerted once, when it begins.
	var waits int
	for _, b := range w.slack.received() {
		if strings.Contains(b, "waiting for approval gate") {
			waits++
		}
	}
	if waits != 1 {
		t.Errorf("%d wait alerts, want 1:\n%s", waits, strings.Join(w.slack.received(), "\n"))
	}
}

func TestPreRolloutFailureIsAFailedCheck(t *testing.T) {
	w := newHookWorld(t, "      - name: smoke\n        type: pre-rollout\n        url: {{lt}}/gate/halt\n")
	n := len(w.subjects())
	bumpImage(w.world, "6.0.1")
	w.setChecks(pass)
	for i := 0; i < 4; i++ {
		w.pass(tick)
	}
	const halt = "Halt podinfo.test advancement pre-rollout check smoke failed Forbidden"
	wantSubjects(t, w.since(n), "bump podinfo to 6.0.1", "New revision detected! Scaling up podinfo.test",
		halt, halt, "Rolling back podinfo.test failed checks threshold reached 2")
	if w.weights("main~1") != "100/0" {
		t.Errorf("pre-rollout failure routed traffic: %s", w.weights("main~1"))
	}
	st := w.show("main", gen+"status.yaml")
	if !strings.Contains(st, "lastFailure: "+halt) || !strings.Contains(st, "phase: Failed") {
		t.Errorf("status:\n%s", st)
	}
	if w.measure != 0 {
		t.Errorf("metrics measured %d times at weight 0", w.measure)
	}
	rev := w.revision()
	want := `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"` + rev + `"}`
	if got := w.hookBodies("/gate/halt"); !slices.Equal(got, []string{want, want}) {
		t.Errorf("pre-rollout payloads:\n%s", strings.Join(got, "\n"))
	}
}

func TestRolloutHookHaltsAndTheRollbackIsNotified(t *testing.T) {
	w := newHookWorld(t, "      - name: load\n        type: rollout\n        url: {{lt}}/gate/check\n        metadata:\n          cmd: hey -z 1m http://podinfo-canary.test:9898/\n")
	n := len(w.subjects())
	bumpImage(w.world, "6.0.1")
	w.setChecks(pass)
	w.pass(tick) // new revision
	w.pass(tick) // starting, weight 10
	w.pass(tick) // the load test fails
	const halt = "Halt podinfo.test advancement external check load failed Forbidden"
	if got := w.subject(); got != halt {
		t.Fatalf("rollout hook failure: %s", got)
	}
	if w.measure != 0 {
		t.Errorf("metrics measured after the rollout hook failed")
	}
	// Open: the step goes on. A conflicting push during the measurement
	// makes the pass decide again: the hook is not called twice.
	w.lt.SetGate("podinfo.test", true)
	calls := len(w.hookBodies("/gate/check"))
	w.hook = func() {
		w.ciCommit("unrelated change by a human", func(dir string) {
			replaceIn(t, dir, "clusters/demo/apps.yaml", "interval: 1m", "interval: 5m")
		})
	}
	w.pass(tick)
	if got := w.subject(); got != "Advance podinfo.test canary weight 20" {
		t.Fatalf("after the gate opened: %s", got)
	}
	if got := len(w.hookBodies("/gate/check")) - calls; got != 1 {
		t.Errorf("rollout hook called %d times in a pass with a retry, want 1", got)
	}
	w.lt.SetGate("podinfo.test", false)
	w.pass(tick)
	w.pass(tick)
	wantSubjects(t, w.since(n), "bump podinfo to 6.0.1", "New revision detected! Scaling up podinfo.test",
		"Starting canary analysis for podinfo.test", halt, "unrelated change by a human",
		"Advance podinfo.test canary weight 20", halt, "Rolling back podinfo.test failed checks threshold reached 2")
	rev := w.revision()
	want := `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"` + rev + `","metadata":{"cmd":"hey -z 1m http://podinfo-canary.test:9898/"}}`
	if got := w.hookBodies("/gate/check"); got[len(got)-1] != want {
		t.Errorf("rollout payload:\n%s\nwant\n%s", got[len(got)-1], want)
	}

	// Slack: the rollback alert, with the failed check as the reason.
	var alert map[string]any
	for _, b := range w.slack.received() {
		if strings.Contains(b, "Failed checks threshold reached 2") {
			if err := json.Unmarshal([]byte(b), &alert); err != nil {
				t.Fatal(err)
			}
		}
	}
	if alert == nil {
		t.Fatalf("no rollback alert:\n%s", strings.Join(w.slack.received(), "\n"))
	}
	att := alert["attachments"].([]any)[0].(map[string]any)
	if att["color"] != "danger" || att["author_name"] != "podinfo.test" || alert["channel"] != "on-call" {
		t.Errorf("alert: %v", alert)
	}
	reason := map[string]any{"title": "Reason", "value": halt, "short": false}
	if fields := att["fields"].([]any); !slices.ContainsFunc(fields, func(f any) bool { return equalJSON(f, reason) }) {
		t.Errorf("alert fields lack the reason: %v", fields)
	}

	// Flux: every event, as a Canary's.
	var rollback *eventv1.Event
	var fluxEvents int
	for _, b := range w.flux.received() {
		var e eventv1.Event
		if err := json.Unmarshal([]byte(b), &e); err != nil {
			t.Fatal(err)
		}
		fluxEvents++
		if o := e.InvolvedObject; o.Kind != "Canary" || o.Name != "podinfo" || o.Namespace != "test" || o.APIVersion != api.GroupVersion {
			t.Errorf("involved object: %+v", o)
		}
		if strings.HasPrefix(e.Message, "Rolling back") {
			rollback = &e
		}
	}
	if rollback == nil || rollback.Severity != eventv1.EventSeverityError || rollback.Reason != "Failed" || rollback.Metadata["gitcanary.dev/revision"] != rev {
		t.Errorf("rollback event: %+v", rollback)
	}
	// Event webhooks get the same events, with Flagger's metadata.
	evs := w.events.received()
	if len(evs) != fluxEvents {
		t.Errorf("%d event webhook calls, %d Flux events", len(evs), fluxEvents)
	}
	wantEvent := `{"name":"podinfo","namespace":"test","phase":"Failed","checksum":"` + rev + `","metadata":{"eventMessage":"Canary failed! Scaling down podinfo.test","eventType":"Warning","timestamp":"` +
		strconv.FormatInt(w.now.UnixMilli(), 10) + `"}}`
	if !slices.Contains(evs, wantEvent) {
		t.Errorf("event webhook payloads lack\n%s\ngot:\n%s", wantEvent, strings.Join(evs, "\n"))
	}
}

func TestConfirmPromotionWaitsWhileTheAnalysisGoesOn(t *testing.T) {
	w := newHookWorld(t, "      - name: smoke\n        type: pre-rollout\n        url: {{lt}}/gate/approve\n"+
		"      - name: promote\n        type: confirm-promotion\n        url: {{lt}}/gate/check\n"+
		"      - name: notify\n        type: post-rollout\n        url: {{lt}}/\n        metadata:\n          cmd: curl -sd 'done' http://slack/\n")
	n := len(w.subjects())
	bumpImage(w.world, "6.0.1")
	w.setChecks(pass)
	for i := 0; i < 7; i++ {
		w.pass(tick)
	}
	const wait = "Halt podinfo.test advancement waiting for promotion approval promote"
	wantSubjects(t, w.since(n), "bump podinfo to 6.0.1", "New revision detected! Scaling up podinfo.test",
		"Starting canary analysis for podinfo.test", "Advance podinfo.test canary weight 20", "Advance podinfo.test canary weight 30",
		"Advance podinfo.test canary weight 40", "Advance podinfo.test canary weight 50", wait)
	if body := gitRun(t, w.remote, "log", "-1", "--format=%b", "main~5"); !strings.HasPrefix(body, "Pre-rollout check smoke passed\nAdvance podinfo.test canary weight 10\n") {
		t.Errorf("start commit body:\n%s", body)
	}
	if st := w.show("main", gen+"status.yaml"); !strings.Contains(st, "phase: WaitingPromotion") || w.weights("main") != "50/50" {
		t.Errorf("waiting status (%s):\n%s", w.weights("main"), st)
	}
	measured := w.measure
	for i := 0; i < 2; i++ {
		if res := w.pass(tick); res.Commits != 0 {
			t.Fatalf("waiting for promotion committed: %s", w.subject())
		}
	}
	if w.measure != measured+2 {
		t.Errorf("metrics measured %d times in 2 passes while waiting", w.measure-measured)
	}
	w.setChecks(fail)
	w.pass(tick)
	if got := w.subject(); got != "Halt podinfo.test advancement success rate 50.00% < 99%" {
		t.Fatalf("failing metric while waiting: %s", got)
	}
	w.setChecks(pass)
	w.lt.SetGate("podinfo.test", true)
	for i := 0; i < 3; i++ {
		w.pass(tick)
	}
	wantSubjects(t, w.since(len(w.subjects())-3), "Copying podinfo.test template spec to podinfo-primary.test",
		"Routing all traffic to primary", "Promotion completed! Scaling down podinfo.test")
	if body := gitRun(t, w.remote, "log", "-1", "--format=%b", "main~2"); !strings.HasPrefix(body, "Confirm-promotion check promote passed\n") {
		t.Errorf("promotion body:\n%s", body)
	}
	// Post-rollout hooks run once, after the push, with the outcome.
	rev := w.revision()
	want := `{"name":"podinfo","namespace":"test","phase":"Succeeded","checksum":"` + rev + `","metadata":{"cmd":"curl -sd 'done' http://slack/"}}`
	if got := w.hookBodies("/"); !slices.Equal(got, []string{want}) {
		t.Errorf("post-rollout payloads:\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
	if !strings.Contains(w.logs.String(), `"msg"="Post-rollout check notify passed"`) {
		t.Errorf("post-rollout not logged:\n%s", w.logs)
	}
	if tasks := w.lt.Tasks(); len(tasks) != 1 || tasks[0].Phase != "Succeeded" {
		t.Errorf("loadtester tasks: %+v", tasks)
	}
}

func TestRollbackHookRollsBack(t *testing.T) {
	w := newHookWorld(t, "      - name: undo\n        type: rollback\n        url: {{lt}}/rollback/check\n"+
		"      - name: post\n        type: post-rollout\n        url: {{lt}}/gate/approve\n")
	bumpImage(w.world, "6.0.1")
	w.setChecks(pass)
	w.pass(tick) // new revision
	w.pass(tick) // starting
	w.pass(tick) // weight 20
	if got := w.subject(); got != "Advance podinfo.test canary weight 20" {
		t.Fatalf("before the rollback: %s", got)
	}
	w.lt.SetGate("rollback.podinfo.test", true)
	w.pass(tick)
	if got := w.subject(); got != "Rolling back podinfo.test manual webhook invoked" {
		t.Fatalf("rollback hook: %s\n%s", got, w.logs)
	}
	if body := gitRun(t, w.remote, "log", "-1", "--format=%b", "main"); !strings.HasPrefix(body, "Canary failed! Scaling down podinfo.test\n") {
		t.Errorf("rollback body:\n%s", body)
	}
	st := w.show("main", gen+"status.yaml")
	if !strings.Contains(st, "phase: Failed") || !strings.Contains(st, "lastFailure: Rolling back podinfo.test manual webhook invoked") {
		t.Errorf("status:\n%s", st)
	}
	if dep := w.show("main", app+"deployment.yaml"); !strings.Contains(dep, oldImage) {
		t.Errorf("target not reverted:\n%s", dep)
	}
	rev := w.revision()
	checks := w.hookBodies("/rollback/check")
	if want := `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"` + rev + `"}`; len(checks) != 3 || checks[2] != want {
		t.Errorf("rollback hook payloads (asked on each of 3 ticks):\n%s", strings.Join(checks, "\n"))
	}
	if post := w.hookBodies("/gate/approve"); len(post) != 1 || !strings.Contains(post[0], `"phase":"Failed"`) {
		t.Errorf("post-rollout payloads: %v", post)
	}
	var alerted bool
	for _, b := range w.slack.received() {
		alerted = alerted || strings.Contains(b, `"text":"Rolling back manual webhook invoked"`)
	}
	if !alerted {
		t.Errorf("no manual rollback alert:\n%s", strings.Join(w.slack.received(), "\n"))
	}
}

func TestConfirmTrafficIncreaseWaitsWithoutCommits(t *testing.T) {
	w := newHookWorld(t, "      - name: more\n        type: confirm-traffic-increase\n        url: {{lt}}/gate/check\n")
	bumpImage(w.world, "6.0.1")
	w.setChecks(pass)
	w.pass(tick) // new revision
	head := gitRun(t, w.remote, "rev-parse", "main")
	for i := 0; i < 2; i++ {
		w.pass(tick)
	}
	if got := gitRun(t, w.remote, "rev-parse", "main"); got != head {
		t.Fatalf("closed traffic gate committed: %s", w.subject())
	}
	if !strings.Contains(w.logs.String(), `"msg"="Halt podinfo.test advancement waiting for traffic increase approval more"`) {
		t.Errorf("traffic wait not logged:\n%s", w.logs)
	}
	w.lt.SetGate("podinfo.test", true)
	w.pass(tick)
	if got := w.subject(); got != "Starting canary analysis for podinfo.test" {
		t.Fatalf("after the gate opened: %s", got)
	}
	if body := gitRun(t, w.remote, "log", "-1", "--format=%b", "main"); !strings.HasPrefix(body, "Confirm-traffic-increase check more passed\nAdvance podinfo.test canary weight 10\n") {
		t.Errorf("body:\n%s", body)
	}
	if st := w.show("main", gen+"status.yaml"); strings.Contains(st, "failedChecks: 1") {
		t.Errorf("a closed traffic gate counted as a failed check:\n%s", st)
	}
}

func TestValidateReportsWebhooksAndAlerts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	replaceIn(t, dir, app+"canary.yaml", "    metrics:\n", `    webhooks:
      - name: gate
        type: confirm-rolout
        url: http://loadtester/gate/check
      - name: load
        url: loadtester/
    alerts:
      - name: on-call
        severity: loud
        providerRef:
          name: on-call
      - name: missing
        providerRef:
          name: nobody
    metrics:
`)
	provider := "apiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata:\n  name: on-call\n  namespace: test\nspec:\n  type: slack\n  address: https://hooks.slack.com/services/x\n" +
		"---\napiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata:\n  name: pager\n  namespace: test\nspec:\n  type: pagerduty\n  address: https://example.com/\n"
	if err := os.WriteFile(filepath.Join(dir, app+"alertprovider.yaml"), []byte(provider), 0o644); err != nil {
		t.Fatal(err)
	}
	problems, n, err := Validate(dir, "istio")
	if err != nil || n != 1 {
		t.Fatalf("validate: %v, %d canaries", err, n)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.Error())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.webhooks[0].type: unknown hook type "confirm-rolout"`,
		`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.webhooks[1].url: invalid hook url "loadtester/"`,
		`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.alerts[0].severity:`,
		`apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.analysis.alerts[1].providerRef: AlertProvider test/nobody not found in the repository`,
		`apps/podinfo/alertprovider.yaml: document 2 (AlertProvider test/pager): spec.type: unknown provider type "pagerduty"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack\n %s\ngot:\n%s", want, all)
		}
	}
	if len(got) != 5 {
		t.Errorf("%d problems, want 5:\n%s", len(got), all)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
