package reconciler

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/machine"
)

// TestValidateAndRunAgree: what `validate` rejects, `run` refuses too (the
// canary is reported and not acted on), with the same error: one code path
// decides. Each case used to pass one and fail the other.
func TestValidateAndRunAgree(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(t *testing.T, dir string)
		want string
	}{
		{name: "missing MetricTemplate (validate passed, run failed every check)",
			edit: func(t *testing.T, dir string) {
				replaceIn(t, dir, app+"canary.yaml", "    metrics:\n", "    metrics:\n      - name: error-rate\n        templateRef:\n          name: error-rate\n        thresholdRange:\n          max: 1\n")
			},
			want: "spec.analysis.metrics[0].templateRef: MetricTemplate test/error-rate not found in the repository"},
		{name: "missing AlertProvider (validate failed, run went on)",
			edit: func(t *testing.T, dir string) {
				replaceIn(t, dir, app+"canary.yaml", "    metrics:\n", "    alerts:\n      - name: on-call\n        providerRef:\n          name: nobody\n    metrics:\n")
			},
			want: "spec.analysis.alerts[0].providerRef: AlertProvider test/nobody not found in the repository"},
		{name: "generated component does not render as decided (validate rendered without it)",
			edit: func(t *testing.T, dir string) {
				// kustomize's replicas transformer runs after components: it
				// undoes the scale-down patch.
				replaceIn(t, dir, app+"kustomization.yaml", "resources:", "replicas:\n  - name: podinfo\n    count: 3\nresources:")
			},
			want: "render check of apps/podinfo: rendered Deployment podinfo: scaled to zero = false, want true"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
				t.Fatal(err)
			}
			tt.edit(t, dir)
			problems, _, err := Validate(dir, "istio")
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 1 || !strings.Contains(problems[0].Error(), tt.want) {
				t.Fatalf("validate: %v, want one problem with %q", problems, tt.want)
			}

			w := newWorld(t, dir)
			res, err := w.rec.Pass(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), tt.want) || res.Commits != 0 {
				t.Fatalf("run: %d commits, errors %v, want none and one error with %q", res.Commits, res.Errors, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, app, "gitcanary")); err == nil {
				t.Errorf("validate wrote files")
			}
		})
	}
}

// TestAPanicIsOneCanarysError: a bug met by one canary's input is that
// canary's error; the pass goes on and serves the others.
func TestAPanicIsOneCanarysError(t *testing.T) {
	w := newWorld(t, overlays)
	w.rec.measure = func(context.Context, *api.Canary, analysis.TemplateLookup, time.Time) ([]machine.Check, error) {
		panic("boom")
	}
	w.pass(0)
	w.ciCommit("bump podinfo in the base", func(dir string) {
		replaceIn(t, dir, "apps/base/podinfo/deployment.yaml", "podinfo:6.0.0", "podinfo:6.0.1")
	})
	w.pass(tick)
	w.pass(tick) // both start: no metrics at weight 0
	w.now = w.now.Add(tick)
	w.rec.measure = func(_ context.Context, c *api.Canary, _ analysis.TemplateLookup, _ time.Time) ([]machine.Check, error) {
		if c.Metadata.Namespace == "production" {
			panic("boom")
		}
		return pass, nil
	}
	res, err := w.rec.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "canary podinfo.production: internal error") || !strings.Contains(res.Errors[0].Error(), "boom") {
		t.Fatalf("errors: %v", res.Errors)
	}
	if res.Commits != 1 || !strings.HasPrefix(w.subject(), "Advance podinfo.staging canary weight 50") {
		t.Errorf("staging was not served: %d commits, last %q", res.Commits, w.subject())
	}
}
