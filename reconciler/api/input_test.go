package api

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// v1beta1 is the v1alpha3 test Canary as a flagger.app/v1beta1 document.
var v1beta1 = strings.ReplaceAll(strings.ReplaceAll(v1alpha3, "flagger.app/v1alpha3", "flagger.app/v1beta1"), "canaryAnalysis", "analysis")

// edit applies one replacement to the test Canary, failing the test when
// it does not apply.
func edit(t *testing.T, doc, from, to string) string {
	t.Helper()
	out := strings.Replace(doc, from, to, 1)
	if out == doc {
		t.Fatalf("replacement %q not applied", from)
	}
	return out
}

func TestHostileInputIsRefusedNamingTheField(t *testing.T) {
	tests := []struct{ name, from, to, want string }{
		{"path in the name", "name: podinfo\n  namespace", "name: ../../../clusters/demo\n  namespace",
			`canary.yaml: document 1 (Canary "prod/../../../clusters/demo"): metadata.name: must be a DNS-1123 label`},
		{"newline in the namespace", "namespace: prod", "namespace: \"prod\\nimages:\\n- name: x\"",
			`metadata.namespace: must be a DNS-1123 label (at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit), got "prod\nimages:\n- name: x"`},
		{"upper case", "name: podinfo\n  namespace", "name: PodInfo\n  namespace", `metadata.name: must be a DNS-1123 label`},
		{"target name", "    name: podinfo\n  service", "    name: ../podinfo\n  service", `spec.targetRef.name: must be a DNS-1123 subdomain`},
		{"service name", "    port: 9898", "    port: 9898\n    name: a/b", `spec.service.name: must be a DNS-1123 label`},
		{"negative progress deadline", "  service:", "  progressDeadlineSeconds: -1\n  service:", "spec.progressDeadlineSeconds: must be at least 1, got -1"},
		{"negative sync gate timeout", "  service:", "  gitops:\n    syncGate:\n      type: commitStatus\n      context: kustomization/apps\n      timeout: -5s\n  service:",
			"spec.gitops.syncGate.timeout: must not be negative, got -5s"},
		{"NaN threshold", "threshold: 99", "threshold: .nan", "spec.analysis.metrics[0].threshold: .nan is not a finite number"},
		{"infinite range", "      threshold: 500", "      thresholdRange:\n        max: .inf", "spec.analysis.metrics[1].thresholdRange.max: .inf is not a finite number"},
		{"duration names its field", "interval: 10s", "interval: 1 minute", `spec.analysis.interval: invalid duration "1 minute"`},
		{"metric duration", "interval: 30s", "interval: 30 secs", `spec.analysis.metrics[1].interval: invalid duration "30 secs"`},
		{"duplicate key", "    threshold: 5\n", "    threshold: 5\n    threshold: 6\n", `spec.analysis.threshold: line 17: mapping key "threshold" already defined at line 16`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := ParseCanaries("canary.yaml", []byte(edit(t, v1beta1, tt.from, tt.to)), "")
			if err == nil || !strings.Contains(err.Error(), tt.want) || len(cs) != 0 {
				t.Fatalf("error %v, want it to contain %q (canaries %d)", err, tt.want, len(cs))
			}
		})
	}
}

func TestUnknownFieldsAreWarnings(t *testing.T) {
	doc := edit(t, v1beta1, "    stepWeight: 5\n", "    stepWeight: 5\n    stepWeigth: 10\n    StepWeight: 50\n")
	doc = edit(t, doc, "  service:", "  autoRollback: true\n  service:")
	cs, err := ParseCanaries("canary.yaml", []byte(doc), "")
	if err != nil || len(cs) != 1 {
		t.Fatalf("unknown fields must not reject the canary: %v", err)
	}
	c := cs[0]
	if c.Spec.Analysis.StepWeight != 5 {
		t.Errorf("StepWeight (another case) was taken for stepWeight: %d", c.Spec.Analysis.StepWeight)
	}
	var got []string
	for _, w := range c.Warnings {
		got = append(got, w.Error())
	}
	want := []string{
		"canary.yaml: document 1 (Canary prod/podinfo): spec.analysis.StepWeight: unknown field, ignored (did you mean stepWeight?)",
		"canary.yaml: document 1 (Canary prod/podinfo): spec.analysis.stepWeigth: unknown field, ignored (did you mean stepWeight?)",
		"canary.yaml: document 1 (Canary prod/podinfo): spec.autoRollback: unknown field, ignored",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestTypoOfARequiredFieldIsNamedWithTheError(t *testing.T) {
	doc := edit(t, v1beta1, "stepWeight: 5", "stepWieght: 5")
	_, err := ParseCanaries("canary.yaml", []byte(doc), "")
	for _, want := range []string{"spec.analysis.stepWeight: is required", "spec.analysis.stepWieght: unknown field, ignored (did you mean stepWeight?)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to contain %q", err, want)
		}
	}
}

func TestMetadataFromTheAPIServerIsNotAWarning(t *testing.T) {
	doc := edit(t, v1beta1, "  namespace: prod\n", "  namespace: prod\n  uid: 4b7c\n  resourceVersion: \"12\"\n  generation: 3\n")
	cs, err := ParseCanaries("canary.yaml", []byte(doc), "")
	if err != nil || len(cs) != 1 || len(cs[0].Warnings) != 0 {
		t.Fatalf("err %v, warnings %v", err, cs)
	}
}

func TestUnsupportedFields(t *testing.T) {
	tests := []struct {
		name, from, to string
		reject         bool
		want           string
	}{
		{"primaryReadyThreshold", "    stepWeight: 5", "    stepWeight: 5\n    primaryReadyThreshold: 50", false,
			"spec.analysis.primaryReadyThreshold: not supported, ignored: gitcanary cannot see pods"},
		{"canaryReadyThreshold", "    stepWeight: 5", "    stepWeight: 5\n    canaryReadyThreshold: 50", false,
			"spec.analysis.canaryReadyThreshold: not supported, ignored"},
		{"headless", "    port: 9898", "    port: 9898\n    headless: true", false, "spec.service.headless: not supported, ignored"},
		{"trafficDistribution", "    port: 9898", "    port: 9898\n    trafficDistribution: PreferClose", false, "spec.service.trafficDistribution: not supported, ignored"},
		{"status", "spec:", "status:\n  phase: Succeeded\nspec:", false, "status: not supported, ignored: gitcanary keeps a canary's status in its generated status.yaml"},
		{"stepWeight with iterations", "    stepWeight: 5", "    stepWeight: 5\n    iterations: 10", false,
			"spec.analysis.stepWeight: not supported, ignored: A/B testing and blue/green (analysis.iterations) count iterations, they do not shift weights"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := ParseCanaries("canary.yaml", []byte(edit(t, v1beta1, tt.from, tt.to)), "")
			if tt.reject {
				if err == nil || !strings.Contains(err.Error(), tt.want) || len(cs) != 0 {
					t.Fatalf("want the canary refused with %q, got %v", tt.want, err)
				}
				return
			}
			if err != nil || len(cs) != 1 {
				t.Fatalf("want the canary accepted with a warning, got %v", err)
			}
			if len(cs[0].Warnings) != 1 || !strings.Contains(cs[0].Warnings[0].Error(), tt.want) {
				t.Fatalf("warnings %v, want one containing %q", cs[0].Warnings, tt.want)
			}
		})
	}
	// Set to its zero value, a field changes nothing and says nothing.
	cs, err := ParseCanaries("canary.yaml", []byte(edit(t, v1beta1, "    port: 9898", "    port: 9898\n    headless: false")), "")
	if err != nil || len(cs[0].Warnings) != 0 {
		t.Errorf("headless: false: %v %v", err, cs[0].Warnings)
	}
	// revertOnDeletion is implemented: no warning, and it is read.
	cs, err = ParseCanaries("canary.yaml", []byte(edit(t, v1beta1, "  service:", "  revertOnDeletion: true\n  service:")), "")
	if err != nil || len(cs[0].Warnings) != 0 || !cs[0].Spec.RevertOnDeletion {
		t.Errorf("revertOnDeletion: true: %v %v", err, cs[0].Warnings)
	}
}

func TestSyntaxErrorsGiveTheLineOfTheFile(t *testing.T) {
	file := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n" + v1beta1 // the Canary starts on line 6
	lineOf := func(doc, s string) int { return strings.Count(doc[:strings.Index(doc, s)], "\n") + 1 }
	tests := []struct{ name, from, to, problem string }{
		{"bad indentation", "    port: 9898\n", "    port: 9898\n   targetPort: 9898\n", "did not find expected key"},
		{"unclosed flow", "    port: 9898\n", "    port: [9898\n    targetPort: 9898\n", "did not find expected ',' or ']'"},
		{"mapping in a scalar", "    port: 9898\n", "    port: 9898\n    targetPort: 9898\n      extra: x\n", "mapping values are not allowed in this context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := edit(t, file, tt.from, tt.to)
			bad := strings.SplitAfter(tt.to, "\n")
			want := fmt.Sprintf("canary.yaml: document 2: invalid YAML: line %d: %s", lineOf(doc, tt.to)+len(bad)-2, tt.problem)
			_, err := ParseCanaries("canary.yaml", []byte(doc), "")
			if err == nil || err.Error() != want {
				t.Fatalf("error %v\nwant  %s", err, want)
			}
		})
	}
}

func TestParseCostIsBounded(t *testing.T) {
	t.Run("one large mapping", func(t *testing.T) {
		// 3.6 MB in one mapping took 13 s (yaml.v3's duplicate-key check
		// compares every key with every other one).
		var b strings.Builder
		b.WriteString("apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: podinfo\n  labels:\n")
		for i := 0; b.Len() < 3_600_000; i++ {
			fmt.Fprintf(&b, "    k%d: v\n", i)
		}
		_, err := ParseCanaries("apps/big/canary.yaml", []byte(b.String()), "")
		want := regexp.MustCompile(`^apps/big/canary.yaml: document 1 \(Canary /podinfo\): metadata.labels.k\d+: document has more than 100000 YAML nodes`)
		if !errors.Is(err, ErrTooLarge) || !want.MatchString(err.Error()) {
			t.Fatalf("error %v, want %q", err, want)
		}
	})
	t.Run("file too large", func(t *testing.T) {
		data := []byte(v1beta1 + "---\n" + strings.Repeat("# padding\n", MaxFileBytes/10))
		_, err := ParseCanaries("apps/big/canary.yaml", data, "")
		want := fmt.Sprintf("apps/big/canary.yaml: file is %d bytes, more than the 4194304 gitcanary reads", len(data))
		if !errors.Is(err, ErrTooLarge) || err.Error() != want {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("a million documents", func(t *testing.T) {
		// 4 MB of "---" cost gigabytes of yaml.v3 nodes: gitcanary died out
		// of memory under a 2 GiB address-space limit.
		data := []byte(v1beta1 + strings.Repeat("---\n", 1_000_000))
		_, err := ParseCanaries("apps/big/canary.yaml", data, "")
		want := "apps/big/canary.yaml: file has more than 10000 YAML documents"
		if !errors.Is(err, ErrTooLarge) || err.Error() != want {
			t.Fatalf("error %v, want %q", err, want)
		}
	})
	t.Run("alias bomb", func(t *testing.T) {
		doc := "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
		for i := 1; i < 9; i++ {
			doc += fmt.Sprintf("a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
		}
		doc += "bomb: *a8\n" // 10^9 nodes once expanded
		data := v1beta1 + "bombs:\n" + indent(doc)
		_, err := ParseCanaries("canary.yaml", []byte(data), "")
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "canary.yaml: document 1 (Canary prod/podinfo): ") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("deep nesting", func(t *testing.T) {
		data := edit(t, v1beta1, "spec:\n", "deep: "+strings.Repeat("[", 200)+strings.Repeat("]", 200)+"\nspec:\n")
		_, err := ParseCanaries("canary.yaml", []byte(data), "")
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "nests deeper than 100 levels") {
			t.Fatalf("error %v", err)
		}
	})
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

func TestMergeKeys(t *testing.T) {
	doc := edit(t, v1beta1, "    metrics:\n", "    metrics:\n    - &sr\n      name: request-success-rate\n      interval: 2m\n      threshold: 98\n    - <<: *sr\n      interval: 5m\n")
	cs, err := ParseCanaries("canary.yaml", []byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	m := cs[0].Spec.Analysis.Metrics
	if len(m) != 4 || m[1].Name != "request-success-rate" || m[1].Interval.String() != "5m0s" || *m[1].ThresholdRange.Min != 98 {
		t.Errorf("merge key: %+v", m[1])
	}
}

// TestStrategyFields: the strategy fields Flagger has are accepted where
// they mean something, and refused, naming the field, where Flagger would
// ignore them.
func TestStrategyFields(t *testing.T) {
	const ab = "    iterations: 10\n    match:\n      - headers:\n          x-canary:\n            exact: insider\n"
	tests := []struct {
		name, from, to string
		strategy       string
		want           string // the error, "" when accepted
	}{
		{"A/B", "    stepWeight: 5\n", ab, StrategyAB, ""},
		{"blue/green with mirroring", "    stepWeight: 5\n", "    iterations: 10\n    mirror: true\n    mirrorWeight: 50\n", StrategyBlueGreen, ""},
		{"canary with mirroring", "    stepWeight: 5\n", "    stepWeight: 5\n    mirror: true\n", StrategyCanary, ""},
		{"canary on matching requests", "    stepWeight: 5\n", "    stepWeight: 5\n    match:\n      - headers:\n          x-canary:\n            exact: insider\n", StrategyCanary, ""},
		{"session affinity", "    stepWeight: 5\n", "    stepWeight: 5\n    sessionAffinity:\n      cookieName: flagger-cookie\n      primaryCookieName: primary-cookie\n      maxAge: 600\n      sameSite: Lax\n", StrategyCanary, ""},
		{"mirrorWeight without mirror", "    stepWeight: 5\n", "    stepWeight: 5\n    mirrorWeight: 50\n", "",
			"spec.analysis.mirrorWeight: has no effect without analysis.mirror: true"},
		{"mirrorWeight out of range", "    stepWeight: 5\n", "    stepWeight: 5\n    mirror: true\n    mirrorWeight: 150\n", "",
			"spec.analysis.mirrorWeight: must be between 0 and 100, got 150"},
		{"mirroring an A/B test", "    stepWeight: 5\n", ab + "    mirror: true\n", "",
			"spec.analysis.mirror: an A/B test (analysis.match with iterations) routes the matching requests to the canary, it does not mirror"},
		{"session affinity in an A/B test", "    stepWeight: 5\n", ab + "    sessionAffinity:\n      cookieName: c\n", "",
			"spec.analysis.sessionAffinity: an A/B test (analysis.match with iterations) routes requests by its match"},
		{"cookie name required", "    stepWeight: 5\n", "    stepWeight: 5\n    sessionAffinity:\n      maxAge: 60\n", "",
			"spec.analysis.sessionAffinity.cookieName: is required"},
		{"cookie name with a separator", "    stepWeight: 5\n", "    stepWeight: 5\n    sessionAffinity:\n      cookieName: \"a;b\"\n", "",
			`spec.analysis.sessionAffinity.cookieName: must be letters, digits and -._~, got "a;b"`},
		{"same cookie twice", "    stepWeight: 5\n", "    stepWeight: 5\n    sessionAffinity:\n      cookieName: c\n      primaryCookieName: c\n", "",
			`spec.analysis.sessionAffinity.primaryCookieName: must differ from cookieName "c"`},
		{"sameSite", "    stepWeight: 5\n", "    stepWeight: 5\n    sessionAffinity:\n      cookieName: c\n      sameSite: lax\n", "",
			`spec.analysis.sessionAffinity.sameSite: must be Strict, Lax or None, got "lax"`},
		{"match that is not a mapping", "    stepWeight: 5\n", "    iterations: 3\n    match:\n      - x-canary\n", "",
			"spec.analysis.match[0]: must be an HTTPMatchRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := ParseCanaries("canary.yaml", []byte(edit(t, v1beta1, tt.from, tt.to)), "")
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want it to contain %q", err, tt.want)
				}
				return
			}
			if err != nil || len(cs) != 1 {
				t.Fatalf("want the canary accepted, got %v", err)
			}
			if got := cs[0].Spec.Analysis.Strategy(); got != tt.strategy {
				t.Errorf("strategy %s, want %s", got, tt.strategy)
			}
			if len(cs[0].Warnings) != 0 {
				t.Errorf("warnings: %v", cs[0].Warnings)
			}
		})
	}
}

func TestSessionAffinityCookie(t *testing.T) {
	sa := &SessionAffinity{CookieName: "c", Path: "/", HTTPOnly: true, Secure: true, SameSite: "Lax"}
	if got, want := sa.Attributes(60), "Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax"; got != want {
		t.Errorf("attributes %q, want %q", got, want)
	}
	cs, err := ParseCanaries("canary.yaml", []byte(edit(t, v1beta1, "    stepWeight: 5\n", "    stepWeight: 5\n    sessionAffinity:\n      cookieName: c\n")), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := cs[0].Spec.Analysis.SessionAffinity.MaxAge; got != DefaultCookieMaxAge {
		t.Errorf("default maxAge %d, want Flagger's %d", got, DefaultCookieMaxAge)
	}
	for cookie, ok := range map[string]bool{"c=abc": true, "flagger-cookie=XyZ09": true, "c=": false, "=v": false, "c=a b": false, "c": false, "c=a;b": false} {
		if ValidCookie(cookie) != ok {
			t.Errorf("ValidCookie(%q) = %v, want %v", cookie, !ok, ok)
		}
	}
}
