package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis/providertest"
)

// The sample canary's metrics, replaced by one MetricTemplate metric.
const sampleMetrics = `    metrics:
      - name: request-success-rate
        thresholdRange:
          min: 99
        interval: 30s
      - name: request-duration
        thresholdRange:
          max: 500
        interval: 30s
`

// errorRate is the canary's metric on the MetricTemplate error-rate.
const errorRate = `    metrics:
      - name: error-rate
        templateRef:
          name: error-rate
        thresholdRange:
          max: 5
        interval: 1m
`

// providerCase is a MetricTemplate on an HTTP provider's stand-in, the
// Secret it reads and what the rollback's halts say.
type providerCase struct {
	name string
	// start starts the stand-in, answering with the error rates (%) the
	// canary and its primary have, and returns its address and requests.
	start func(t *testing.T, canary, primary *atomic.Value) (string, func() []providertest.Request)
	// query is the MetricTemplate's query (Flagger's examples); compare is
	// the compare block of the canary's metric using it, if any.
	query, compare string
	secret         map[string]string
	// halt is how a rollback's failed checks begin.
	halt string
}

var providerCases = []providerCase{
	{
		name: "datadog",
		start: func(t *testing.T, canary, primary *atomic.Value) (string, func() []providertest.Request) {
			dd := providertest.NewDatadog(t, "dd-api-0123456789", "dd-app-9876543210")
			dd.Answer(func(query string) []float64 {
				if strings.Contains(query, "destination_workload:podinfo-primary,") {
					return series(primary.Load().(float64))
				}
				if strings.Contains(query, "destination_workload:podinfo,") {
					return series(canary.Load().(float64))
				}
				return nil
			})
			return dd.URL, dd.Requests
		},
		query: `100 * (
  sum:istio.mesh.request.count{reporter:destination,destination_workload_namespace:{{ namespace }},destination_workload:{{ target }},response_code:5*}.as_count()
  /
  sum:istio.mesh.request.count{reporter:destination,destination_workload_namespace:{{ namespace }},destination_workload:{{ target }},}.as_count()
)`,
		// Judged against the primary too: the rollback comes from the
		// comparison, the canary's rate staying below the threshold.
		compare: `        compare:
          direction: increase
          tolerance: "0.5"
`,
		secret: map[string]string{"datadog_api_key": "dd-api-0123456789", "datadog_application_key": "dd-app-9876543210"},
		halt:   "Halt podinfo.test advancement error-rate canary 1.50 > primary 0.20 (p=",
	},
	{
		name: "newrelic",
		start: func(t *testing.T, canary, primary *atomic.Value) (string, func() []providertest.Request) {
			nr := providertest.NewNewRelic(t, 1234567, "NRAK-0123456789ABCDEF")
			nr.Answer(func(nrql string) []float64 {
				switch {
				case strings.Contains(nrql, "appName = 'podinfo-primary'"):
					return []float64{primary.Load().(float64)}
				case strings.Contains(nrql, "appName = 'podinfo'"):
					return []float64{canary.Load().(float64)}
				}
				return nil
			})
			return nr.URL + "/graphql", nr.Requests
		},
		query: `SELECT filter(count(*), WHERE httpResponseCode >= '500') * 100 / count(*)
FROM Transaction WHERE appName = '{{ target }}' AND namespace = '{{ namespace }}'`,
		secret: map[string]string{"newrelic_account_id": "1234567", "newrelic_api_key": "NRAK-0123456789ABCDEF"},
		halt:   "Halt podinfo.test advancement error-rate 12.00 > 5",
	},
}

// metricTemplate is the MetricTemplate error-rate of a provider type on its
// stand-in at address, reading the Secret named as the type.
func metricTemplate(typ, address, query string) string {
	return fmt.Sprintf(`apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata:
  name: error-rate
  namespace: test
spec:
  provider:
    type: %s
    address: %s
    secretRef:
      name: %s
  query: |
    %s
`, typ, address, typ, strings.ReplaceAll(query, "\n", "\n    "))
}

// series is ten points around v (within ±4%, median v, the first one v),
// as a provider returns a metric over the analysis window.
func series(v float64) []float64 {
	out := make([]float64, 10)
	for i, o := range []float64{0, 1, -1, 2, -2, 3, -3, 4, -4, 0} {
		out[i] = v * (1 + o/100)
	}
	return out
}

// TestRunWithMetricProviders: `gitcanary run --once`, as a process, with
// --secrets-dir, drives a canary measured by a MetricTemplate of an HTTP
// provider against its stand-in: initialization checks the provider, a
// release with the primary's error rate is promoted, a faulty one is
// rolled back and reverted; the Secret's values reach the provider and
// appear nowhere else (logs, commits).
func TestRunWithMetricProviders(t *testing.T) {
	if testing.Short() {
		t.Skip("runs gitcanary about 25 times per provider; run without -short")
	}
	t.Parallel()
	for _, pc := range providerCases {
		t.Run(pc.name, func(t *testing.T) {
			t.Parallel()
			var canary, primary atomic.Value
			canary.Store(0.2)
			primary.Store(0.2)
			address, requests := pc.start(t, &canary, &primary)

			dir := sampleRepo(t)
			canaryFile := "apps/podinfo/canary.yaml"
			edit(t, dir, canaryFile, "interval: 10s", "interval: 1s")
			edit(t, dir, canaryFile, "stepWeight: 10", "stepWeight: 25")
			edit(t, dir, canaryFile, sampleMetrics, errorRate+pc.compare)
			if err := os.WriteFile(filepath.Join(dir, "apps/podinfo/metrics.yaml"), []byte(metricTemplate(pc.name, address, pc.query)), 0o644); err != nil {
				t.Fatal(err)
			}
			secrets := t.TempDir()
			secretDir := filepath.Join(secrets, "test", pc.name)
			if err := os.MkdirAll(secretDir, 0o755); err != nil {
				t.Fatal(err)
			}
			for k, v := range pc.secret {
				if err := os.WriteFile(filepath.Join(secretDir, k), []byte(v+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			remote := pushRepo(t, dir, "podinfo app measured on "+pc.name)

			var logs strings.Builder
			runUntil := func(want string) {
				t.Helper()
				for range 20 {
					stderr, code := gitcanaryProcess(t, "run", "--once", "--repo", remote, "--secrets-dir", secrets)
					logs.WriteString(stderr)
					if code != 0 {
						t.Fatalf("run --once exited %d:\n%s", code, stderr)
					}
					if strings.HasPrefix(lastSubject(t, remote), want) {
						return
					}
					time.Sleep(time.Second)
				}
				t.Fatalf("no %q after 20 passes:\n%s", want, git(t, "", "--git-dir", remote, "log", "--format=%s%n%b", "main"))
			}
			bodies := func(from string) string {
				return git(t, "", "--git-dir", remote, "log", "--format=%s%n%b", "main", "^"+strings.TrimSpace(git(t, "", "--git-dir", remote, "log", "-1", "--format=%H", "--grep", "^bump podinfo to "+from, "main"))+"~1")
			}

			runUntil("Initialization done! podinfo.test")
			if body := git(t, "", "--git-dir", remote, "log", "-1", "--format=%b", "main"); !strings.Contains(body, "all the metrics providers are available!") {
				t.Errorf("initialization did not check %s:\n%s", pc.name, body)
			}

			bumpPodinfo(t, dir, remote, "6.0.1")
			runUntil("Promotion completed! Scaling down podinfo.test")
			promotion := bodies("6.0.1")
			if !strings.Contains(promotion, "\nerror-rate 0.20 <= 5") || strings.Contains(promotion, "Halt") {
				t.Errorf("promotion on %s:\n%s", pc.name, promotion)
			}
			if pc.name == "datadog" && !strings.Contains(promotion, "error-rate 0.20 <= 5; vs primary: median ") {
				t.Errorf("no comparison with the primary:\n%s", promotion)
			}

			canary.Store(12.0)
			if pc.name == "datadog" {
				canary.Store(1.5) // within the threshold, worse than the primary
			}
			bumpPodinfo(t, dir, remote, "6.0.2")
			runUntil("Rolling back podinfo.test failed checks threshold reached 2")
			rollback := bodies("6.0.2")
			if n := strings.Count(rollback, "\n"+pc.halt); n != 2 {
				t.Errorf("want two halts %q on %s, got %d:\n%s", pc.halt, pc.name, n, rollback)
			}
			if dep := git(t, "", "--git-dir", remote, "show", "main:apps/podinfo/deployment.yaml"); !strings.Contains(dep, "podinfo:6.0.1 #") {
				t.Errorf("target not reverted to 6.0.1:\n%s", dep)
			}
			t.Logf("%s rollback:\n%s", pc.name, rollback)

			// The provider was asked for the canary's and, for the
			// comparison, the primary's series, with the Secret's keys
			// (the stand-ins refuse others).
			asked := map[string]int{}
			for _, r := range requests() {
				for _, w := range []string{"podinfo,", "podinfo'", "podinfo-primary"} {
					if strings.Contains(r.Query, w) {
						asked[strings.Trim(w, ",'")]++
					}
				}
			}
			if asked["podinfo"] == 0 || (pc.compare != "") != (asked["podinfo-primary"] > 0) {
				t.Errorf("queries asked of %s: %v", pc.name, asked)
			}

			history := git(t, "", "--git-dir", remote, "log", "-p", "main")
			for k, v := range pc.secret {
				if k == "newrelic_account_id" {
					continue // an account number, not a secret
				}
				if strings.Contains(logs.String(), v) || strings.Contains(history, v) {
					t.Errorf("the value of %s leaked into the logs or the history", k)
				}
			}
		})
	}
}

// lastSubject is the subject of the newest commit of main in the bare
// repository remote.
func lastSubject(t *testing.T, remote string) string {
	t.Helper()
	return strings.TrimSpace(git(t, "", "--git-dir", remote, "log", "-1", "--format=%s", "main"))
}

// bumpPodinfo sets podinfo's image tag (a 6.0.x one) in the clone dir, as
// CI does, and pushes to remote.
func bumpPodinfo(t *testing.T, dir, remote, tag string) {
	t.Helper()
	git(t, dir, "pull", "-q", remote, "main")
	edit(t, dir, "apps/podinfo/deployment.yaml", "podinfo:6.0.", "podinfo:"+tag+" #")
	git(t, dir, "commit", "-qam", "bump podinfo to "+tag)
	git(t, dir, "push", "-q", remote, "main")
}
