package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	monv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"

	"github.com/gitcanary/gitcanary/fixtures/promtest"
	"github.com/gitcanary/gitcanary/reconciler"
)

// targetLabels are the labels Prometheus (and the Prometheus Operator's
// ServiceMonitor) add to every series it scrapes from gitcanary.
var targetLabels = []string{"job", "instance", "namespace", "pod", "service", "container", "endpoint"}

// seriesSet maps each series name `run --listen` exports to its labels.
type seriesSet map[string][]string

// describing is a prometheus.Registerer that keeps the collectors given to
// it, to read what they describe.
type describing struct{ collectors []prometheus.Collector }

func (d *describing) Register(c prometheus.Collector) error {
	d.collectors = append(d.collectors, c)
	return nil
}

func (d *describing) MustRegister(cs ...prometheus.Collector) {
	d.collectors = append(d.collectors, cs...)
}

func (d *describing) Unregister(prometheus.Collector) bool { return false }

var descRE = regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)

// exportedSeries returns the series of the registry `run --listen` serves:
// gitcanary's metrics and the Go and process collectors.
func exportedSeries(t *testing.T) seriesSet {
	t.Helper()
	reg := &describing{}
	reconciler.NewMetrics(reg, "v0.0.0", "istio")
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	series := seriesSet{}
	for _, c := range reg.collectors {
		ch := make(chan *prometheus.Desc, 200)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			m := descRE.FindStringSubmatch(d.String())
			if m == nil {
				t.Fatalf("cannot read %s", d)
			}
			var labels []string
			if m[2] != "" {
				labels = strings.Split(m[2], ",")
			}
			switch c.(type) {
			case prometheus.Histogram, *prometheus.HistogramVec:
				// A histogram is its _bucket, _sum and _count series.
				series[m[1]+"_bucket"] = append(slices.Clone(labels), "le")
				series[m[1]+"_sum"] = labels
				series[m[1]+"_count"] = labels
			default:
				series[m[1]] = labels
			}
		}
	}
	if len(series["flagger_canary_status"]) == 0 || series["gitcanary_git_duration_seconds_bucket"] == nil {
		t.Fatalf("the exported series were not read: %v", slices.Sorted(maps.Keys(series)))
	}
	return series
}

// grafanaVars are Grafana's built-in range variables, replaced by a range
// before parsing; other variables ($namespace) only appear in strings.
var grafanaVars = regexp.MustCompile(`\$__(rate_interval|interval|range)`)

// checkExpr parses expr as PromQL and returns the labels its result may
// carry; an error names a series gitcanary does not export, a label such a
// series lacks, or a grouping by a label none of its series has.
func (s seriesSet) checkExpr(expr string) ([]string, error) {
	e, err := parser.ParseExpr(grafanaVars.ReplaceAllString(expr, "5m"))
	if err != nil {
		return nil, err
	}
	var problems []string
	available := func(n parser.Node) map[string]bool {
		set := map[string]bool{}
		for _, l := range targetLabels {
			set[l] = true
		}
		parser.Inspect(n, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok {
				for _, l := range s[vs.Name] {
					set[l] = true
				}
			}
			return nil
		})
		return set
	}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			labels, ok := s[n.Name]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: not a series gitcanary exports", n.Name))
				return nil
			}
			for _, m := range n.LabelMatchers {
				if m.Name != "__name__" && !slices.Contains(labels, m.Name) && !slices.Contains(targetLabels, m.Name) {
					problems = append(problems, fmt.Sprintf("%s has no label %s", n.Name, m.Name))
				}
			}
		case *parser.AggregateExpr:
			have := available(n.Expr)
			for _, l := range n.Grouping {
				if !have[l] {
					problems = append(problems, fmt.Sprintf("%s by %s: no series in it has that label", n.Op, l))
				}
			}
		}
		return nil
	})
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: %s", expr, strings.Join(problems, "; "))
	}
	if a, ok := unparen(e).(*parser.AggregateExpr); ok && !a.Without {
		return a.Grouping, nil
	}
	return slices.Sorted(maps.Keys(available(e))), nil
}

// unparen strips the parentheses around e.
func unparen(e parser.Expr) parser.Expr {
	for {
		p, ok := e.(*parser.ParenExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// templateLabels are the labels a legend ({{name}}) or an alert template
// ({{ $labels.name }}) uses.
var templateLabels = regexp.MustCompile(`\{\{\s*(?:\$labels\.)?(\w+)\s*\}\}`)

// checkTemplate checks that the labels text uses are in labels.
func checkTemplate(text string, labels []string) error {
	for _, m := range templateLabels.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(labels, m[1]) {
			return fmt.Errorf("%q uses label %s, the expression's result has only %v", text, m[1], labels)
		}
	}
	return nil
}

// grafanaPanel is what the test reads of a dashboard panel.
type grafanaPanel struct {
	Title   string
	Type    string
	Targets []struct {
		Expr         string
		LegendFormat string
	}
	Panels []grafanaPanel
}

var labelValues = regexp.MustCompile(`^label_values\((\w+),\s*(\w+)\)$`)

// TestDashboardQueriesGitcanarySeries parses every query of the Grafana
// dashboard as PromQL and checks it names only series and labels that
// `run --listen` exports, and that its legends use labels the result has.
func TestDashboardQueriesGitcanarySeries(t *testing.T) {
	series := exportedSeries(t)
	b, err := installFiles.ReadFile("install/components/dashboard/gitcanary.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title      string
		Panels     []grafanaPanel
		Templating struct {
			List []struct {
				Name, Type, Definition string
			}
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("gitcanary.json: %v", err)
	}
	queries := 0
	var walk func([]grafanaPanel)
	walk = func(panels []grafanaPanel) {
		for _, p := range panels {
			walk(p.Panels)
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, q := range p.Targets {
				queries++
				labels, err := series.checkExpr(q.Expr)
				if err != nil {
					t.Errorf("panel %q: %v", p.Title, err)
					continue
				}
				if err := checkTemplate(q.LegendFormat, labels); err != nil {
					t.Errorf("panel %q: legend %v", p.Title, err)
				}
			}
		}
	}
	walk(dash.Panels)
	for _, v := range dash.Templating.List {
		if v.Type != "query" {
			continue
		}
		m := labelValues.FindStringSubmatch(v.Definition)
		if m == nil {
			t.Errorf("variable %s: %q is not label_values(series, label)", v.Name, v.Definition)
			continue
		}
		if !slices.Contains(series[m[1]], m[2]) && !slices.Contains(targetLabels, m[2]) {
			t.Errorf("variable %s: %s has no label %s", v.Name, m[1], m[2])
		}
	}
	if queries < 15 {
		t.Errorf("the dashboard has %d queries: it was not read", queries)
	}
}

// TestAlertRulesQueryGitcanarySeries parses every alert of the
// PrometheusRule and checks its series, labels and templates as above.
func TestAlertRulesQueryGitcanarySeries(t *testing.T) {
	series := exportedSeries(t)
	rules := alertRules(t)
	seen := map[string]bool{}
	for _, g := range rules.Spec.Groups {
		for _, r := range g.Rules {
			seen[r.Alert] = true
			labels, err := series.checkExpr(r.Expr.String())
			if err != nil {
				t.Errorf("alert %s: %v", r.Alert, err)
				continue
			}
			if r.Annotations["summary"] == "" || r.Labels["severity"] == "" || r.For == nil {
				t.Errorf("alert %s: want a summary, a severity and a for", r.Alert)
			}
			for _, text := range r.Annotations {
				if err := checkTemplate(text, labels); err != nil {
					t.Errorf("alert %s: %v", r.Alert, err)
				}
			}
		}
	}
	if !seen["CanaryRollbackDetected"] {
		t.Errorf("no alert on flagger_canary_status > 1: %v", seen)
	}
}

// TestSeriesCheckFindsMistakes feeds the checker expressions with the
// mistakes it is there to find.
func TestSeriesCheckFindsMistakes(t *testing.T) {
	series := exportedSeries(t)
	for expr, want := range map[string]string{
		`flagger_canary_weights{namespace="test"}`:                                               "flagger_canary_weights: not a series",
		`flagger_canary_weight{name="podinfo"}`:                                                  "flagger_canary_weight has no label name",
		`sum by (workload) (flagger_canary_status)`:                                              "sum by workload",
		`rate(gitcanary_git_duration_seconds[5m])`:                                               "gitcanary_git_duration_seconds: not a series",
		`histogram_quantile(0.9, rate(gitcanary_pass_duration_seconds_bucket[$__rate_interval])`: "unclosed",
	} {
		_, err := series.checkExpr(expr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error with %q", expr, err, want)
		}
	}
	if err := checkTemplate("{{workload}}.{{namespace}}", []string{"name", "namespace"}); err == nil {
		t.Errorf("a legend with a label the result lacks passed")
	}
}

// alertRules reads the embedded PrometheusRule strictly.
func alertRules(t *testing.T) monv1.PrometheusRule {
	t.Helper()
	b, err := installFiles.ReadFile("install/components/alerts/prometheusrule.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rules monv1.PrometheusRule
	if err := yaml.UnmarshalStrict(b, &rules); err != nil {
		t.Fatalf("prometheusrule.yaml: %v", err)
	}
	return rules
}

// alertTests are promtool unit tests of the alerts: series as gitcanary
// exports them (with the labels a ServiceMonitor adds) and the alerts they
// must fire, with their rendered annotations.
const alertTests = `
rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # podinfo is rolled back at minute 3; backend keeps being promoted.
      - series: 'flagger_canary_status{name="podinfo",namespace="test",pod="gitcanary-0"}'
        values: '0 0 0 2x20'
      - series: 'flagger_canary_status{name="backend",namespace="test",pod="gitcanary-0"}'
        values: '1x23'
      # gitcanary-0 passes every 10s, until its passes hang at minute 5.
      - series: 'gitcanary_pass_duration_seconds_count{namespace="gitcanary-system",pod="gitcanary-0"}'
        values: '0+6x5 30x40'
      - series: 'gitcanary_pass_duration_seconds_count{namespace="gitcanary-system",pod="gitcanary-1"}'
        values: '0+6x45'
      # gitcanary-1's fetches fail from minute 2 on.
      - series: 'gitcanary_git_errors_total{namespace="gitcanary-system",pod="gitcanary-1",operation="fetch"}'
        values: '0 0 0+6x40'
      - series: 'gitcanary_push_conflicts_total{namespace="gitcanary-system",pod="gitcanary-1"}'
        values: '0+1x40'
      - series: 'gitcanary_canary_errors{namespace="gitcanary-system",pod="gitcanary-1"}'
        values: '0 2x40'
    alert_rule_test:
      - eval_time: 3m
        alertname: CanaryRollbackDetected
        exp_alerts: []
      - eval_time: 5m
        alertname: CanaryRollbackDetected
        exp_alerts:
          - exp_labels: {severity: warning, name: podinfo, namespace: test, pod: gitcanary-0}
            exp_annotations:
              summary: "Canary podinfo.test failed and was rolled back"
              description: "gitcanary committed the rollback; ` + "`gitcanary describe canary podinfo -n test`" + ` shows why."
      - eval_time: 19m
        alertname: GitcanaryPassesStuck
        exp_alerts: []
      - eval_time: 26m
        alertname: GitcanaryPassesStuck
        exp_alerts:
          - exp_labels: {severity: critical, namespace: gitcanary-system, pod: gitcanary-0}
            exp_annotations:
              summary: "gitcanary gitcanary-0 completed no pass in 15 minutes"
              description: "No canary advances while passes hang: look for a stalled Git remote or render in its logs."
      - eval_time: 25m
        alertname: GitcanaryGitErrors
        exp_alerts:
          - exp_labels: {severity: warning, namespace: gitcanary-system, pod: gitcanary-1, operation: fetch}
            exp_annotations:
              summary: "gitcanary gitcanary-1 fails to fetch the config repository"
              description: "Git fetch errors for 10 minutes: credentials, known_hosts or the remote."
      - eval_time: 25m
        alertname: GitcanaryPushConflicts
        exp_alerts:
          - exp_labels: {severity: warning, namespace: gitcanary-system, pod: gitcanary-1}
            exp_annotations:
              summary: "gitcanary gitcanary-1's pushes keep being rejected"
              description: "More than 5 push conflicts in 10 minutes: do several unsharded gitcanary processes watch this branch?"
      - eval_time: 25m
        alertname: GitcanaryCanaryErrors
        exp_alerts:
          - exp_labels: {severity: warning, namespace: gitcanary-system, pod: gitcanary-1}
            exp_annotations:
              summary: "gitcanary gitcanary-1 cannot reconcile 2 canaries or documents"
              description: "` + "`gitcanary validate`" + ` on the config repository names the files and fields."
`

// TestAlertRulesFireWithPromtool runs Prometheus' own rule unit tests
// (promtool test rules) over the PrometheusRule's groups: each alert fires
// on the series gitcanary exports when it should, and not before.
func TestAlertRulesFireWithPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool (Prometheus' package) not found: install it with: %s", promtest.InstallCommand)
	}
	dir := t.TempDir()
	groups, err := yaml.Marshal(map[string]any{"groups": alertRules(t).Spec.Groups})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), groups, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules_test.yaml"), []byte(alertTests), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "rules_test.yaml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	check := exec.Command(promtool, "check", "rules", "rules.yaml")
	check.Dir = dir
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}
