package webhooks_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/analysis/webhooks/webhookstest"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// TestLoadtesterGates drives the manual gating flow of Flagger's docs
// against the loadtester's contract: a closed confirm-rollout gate halts the
// rollout, /gate/open lets it through, /gate/approve and /gate/halt are
// constant answers, "/" accepts a cmd task asynchronously.
func TestLoadtesterGates(t *testing.T) {
	t.Parallel()
	lt := webhookstest.NewLoadtester()
	srv := httptest.NewServer(lt)
	t.Cleanup(srv.Close)
	cd := canaryWithHooks(t,
		hook("confirm-rollout", "gate", srv.URL+"/gate/check")+
			hook("confirm-promotion", "approve", srv.URL+"/gate/approve")+
			hook("confirm-traffic-increase", "halt", srv.URL+"/gate/halt")+
			hook("rollout", "load-test", srv.URL+"/", `timeout: 5s`, `metadata: {type: cmd, cmd: "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/"}`)+
			hook("pre-rollout", "bad-task", srv.URL+"/", `metadata: {type: ngrinder}`)+
			hook("rollback", "rollback", srv.URL+"/rollback/check"))
	c := fastCaller()
	ctx := context.Background()
	gate := func(typ string) webhooks.Outcome {
		t.Helper()
		out, err := c.Gate(ctx, cd, typ, api.PhaseSucceeded, "5f1c2e9a")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	if out := gate(webhooks.ConfirmRollout); out.Passed || out.Halt != "Halt podinfo.test advancement waiting for approval gate" {
		t.Fatalf("closed gate: %+v", out)
	}
	// Open the gate the way Flagger's docs do (kubectl exec ... curl -d '{"name":...}' /gate/open).
	open, err := http.Post(srv.URL+"/gate/open", "application/json", bytes.NewBufferString(`{"name":"podinfo","namespace":"test"}`))
	if err != nil {
		t.Fatal(err)
	}
	open.Body.Close()
	if open.StatusCode != http.StatusAccepted {
		t.Fatalf("/gate/open answered %d", open.StatusCode)
	}
	if out := gate(webhooks.ConfirmRollout); !out.Passed || out.Messages()[0].Text != "Confirm-rollout check gate passed" {
		t.Fatalf("opened gate: %+v", out)
	}
	if out := gate(webhooks.ConfirmPromotion); !out.Passed {
		t.Fatalf("/gate/approve: %+v", out)
	}
	if out := gate(webhooks.ConfirmTrafficIncrease); out.Passed || out.Halt != "Halt podinfo.test advancement waiting for traffic increase approval halt" {
		t.Fatalf("/gate/halt: %+v", out)
	}
	if out := gate(webhooks.Rollout); !out.Passed {
		t.Fatalf("cmd task: %+v", out)
	}
	if tasks := lt.Tasks(); len(tasks) != 1 || tasks[0].Metadata["cmd"] != "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/" || tasks[0].Checksum != "5f1c2e9a" {
		t.Fatalf("tasks = %+v", tasks)
	}
	if out := gate(webhooks.PreRollout); out.Passed || out.Halt != "Halt podinfo.test advancement pre-rollout check bad-task failed unknown task type ngrinder" {
		t.Fatalf("unknown task: %+v", out)
	}
	if out := gate(webhooks.Rollback); !out.Passed {
		t.Fatalf("closed rollback gate must not roll back: %+v", out)
	}
	lt.SetGate("rollback.podinfo.test", true)
	if out := gate(webhooks.Rollback); out.Passed || out.Halt != "Rolling back podinfo.test manual webhook invoked" {
		t.Fatalf("open rollback gate: %+v", out)
	}
}

func TestLoadtesterBlockingTask(t *testing.T) {
	t.Parallel()
	lt := webhookstest.NewLoadtester()
	lt.Run = func(_ context.Context, p webhooks.Payload) ([]byte, error) {
		if p.Metadata["cmd"] == "fail" {
			return nil, errors.New("command fail failed: exit status 1")
		}
		return []byte("ok"), nil
	}
	srv := httptest.NewServer(lt)
	t.Cleanup(srv.Close)
	cd := canaryWithHooks(t,
		hook("pre-rollout", "ok", srv.URL+"/", `metadata: {type: bash, cmd: "true"}`)+
			hook("pre-rollout", "acceptance", srv.URL+"/", `metadata: {type: bash, cmd: "fail"}`))
	out, err := fastCaller().Gate(context.Background(), cd, webhooks.PreRollout, api.PhaseProgressing, "x")
	if err != nil {
		t.Fatal(err)
	}
	want := "Halt podinfo.test advancement pre-rollout check acceptance failed command fail failed: exit status 1"
	if out.Passed || out.Halt != want || len(out.Results) != 2 {
		t.Fatalf("got %+v, want halt %q", out, want)
	}
	var se *webhooks.StatusError
	if !errors.As(out.Results[1].Err, &se) || se.Code != http.StatusInternalServerError {
		t.Fatalf("err = %v", out.Results[1].Err)
	}
}

func TestLoadtesterRejectsMissingMetadata(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(webhookstest.NewLoadtester())
	t.Cleanup(srv.Close)
	err := fastCaller().Call(context.Background(), api.Hook{Name: "h", URL: srv.URL + "/"}, payload)
	if err == nil || err.Error() != "metadata not found in payload" {
		t.Fatalf("got %v", err)
	}
}
