package api

import (
	"strings"
	"testing"
	"time"
)

var statusNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

const statusYAML = `# Written by gitcanary
apiVersion: gitcanary.dev/v1beta1
kind: CanaryStatus
metadata:
  name: podinfo
  namespace: test
status:
  phase: Progressing
  canaryWeight: 20
  failedChecks: 1
  iterations: 0
  lastAppliedSpec: 5f1c2e9a
  paused: true
  pausedBy: Jane Doe <jane@example.com>
  pausedAt: "2026-11-22T09:58:00Z"
  inputs:
    digest: d1
    paths:
    - apps/podinfo/deployment.yaml
  lastTransitionTime: "2026-11-22T09:59:00Z"
`

func TestUnmarshalStatusChecksTheFile(t *testing.T) {
	st, err := UnmarshalStatus("apps/podinfo/gitcanary/podinfo/status.yaml", []byte(statusYAML), statusNow)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Paused || st.PausedBy != "Jane Doe <jane@example.com>" || !st.PausedAt.Equal(statusNow.Add(-2*time.Minute)) {
		t.Errorf("pause: %+v", st)
	}
	tests := []struct{ name, from, to, want string }{
		{"future lastTransitionTime", `lastTransitionTime: "2026-11-22T09:59:00Z"`, `lastTransitionTime: "2027-01-01T00:00:00Z"`,
			"status.yaml: status.lastTransitionTime: 2027-01-01T00:00:00Z is in the future (now 2026-11-22T10:00:00Z)"},
		{"future pausedAt", `pausedAt: "2026-11-22T09:58:00Z"`, `pausedAt: "2026-11-22T10:02:00Z"`, "status.yaml: status.pausedAt: 2026-11-22T10:02:00Z is in the future"},
		{"unknown phase", "phase: Progressing", "phase: Rolling", `status.yaml: status.phase: unknown phase "Rolling" (want one of Initializing, Initialized, Waiting, Progressing,`},
		{"missing phase", "  phase: Progressing\n", "", `status.yaml: status.phase: unknown phase ""`},
		{"impossible weight", "canaryWeight: 20", "canaryWeight: 250", "status.yaml: status.canaryWeight: must be between 0 and 100, got 250"},
		{"negative weight", "canaryWeight: 20", "canaryWeight: -1", "status.canaryWeight: must be between 0 and 100, got -1"},
		{"negative failed checks", "failedChecks: 1", "failedChecks: -3", "status.failedChecks: must not be negative, got -3"},
		{"weight not a number", "canaryWeight: 20", "canaryWeight: lots", "status.yaml: status.canaryWeight: want int, got string"},
		{"bad time", `lastTransitionTime: "2026-11-22T09:59:00Z"`, `lastTransitionTime: yesterday`, `status.yaml: status.lastTransitionTime: want a time as "2026-11-22T10:00:00Z" (RFC 3339), got yesterday`},
		{"path in the name", "name: podinfo", "name: ../../x", `status.yaml: metadata.name: must be a DNS-1123 label`},
		{"newline in the namespace", "namespace: test", `namespace: "test\nx: y"`, `status.yaml: metadata.namespace: must be a DNS-1123 label (at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit), got "test\nx: y"`},
		{"approval branch of another canary", "  inputs:", "  approval:\n    gate: promotion\n    revision: abc\n    branch: main\n  inputs:",
			`status.yaml: status.approval.branch: must be a branch under gitcanary/test/podinfo/, got "main"`},
		{"input outside the repository", "- apps/podinfo/deployment.yaml", "- ../../etc/passwd", `status.inputs.paths[0]: must be a clean path relative to the repository root, got "../../etc/passwd"`},
		{"wrong kind", "kind: CanaryStatus", "kind: Canary", `status.yaml: kind: want CanaryStatus, got "Canary"`},
		{"syntax", "  failedChecks: 1\n", "  failedChecks: 1\n bad: x\n", "status.yaml: invalid YAML: line 11: did not find expected key"},
		{"NaN", "canaryWeight: 20", "canaryWeight: .nan", "status.yaml: status.canaryWeight: .nan is not a finite number"},
		{"cookie that would break a header", "  iterations: 0\n", "  iterations: 0\n  sessionAffinityCookie: \"c=x; Max-Age=1\"\n",
			`status.yaml: status.sessionAffinityCookie: must be a cookie name=value of letters, digits and -._~, got "c=x; Max-Age=1"`},
		{"previous cookie without a value", "  iterations: 0\n", "  iterations: 0\n  previousSessionAffinityCookie: c\n",
			`status.previousSessionAffinityCookie: must be a cookie name=value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := strings.Replace(statusYAML, tt.from, tt.to, 1)
			if data == statusYAML {
				t.Fatalf("replacement %q not applied", tt.from)
			}
			_, err := UnmarshalStatus("apps/podinfo/gitcanary/podinfo/status.yaml", []byte(data), statusNow)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestStatusTimeWithinClockSkewIsAccepted(t *testing.T) {
	data := strings.Replace(statusYAML, `lastTransitionTime: "2026-11-22T09:59:00Z"`, `lastTransitionTime: "2026-11-22T10:00:30Z"`, 1)
	if _, err := UnmarshalStatus("status.yaml", []byte(data), statusNow); err != nil {
		t.Fatalf("30 s ahead is clock skew, not an error: %v", err)
	}
}

func FuzzUnmarshalStatus(f *testing.F) {
	f.Add([]byte(statusYAML))
	f.Add([]byte("kind: CanaryStatus\nstatus: {phase: Failed, canaryWeight: 1e400}\n"))
	f.Add([]byte("kind: CanaryStatus\nstatus: &a {x: *a}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := UnmarshalStatus("status.yaml", data, statusNow)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "status.yaml: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// What is accepted is a state the machine can be in.
		if st.CanaryWeight < 0 || st.CanaryWeight > 100 || st.FailedChecks < 0 || st.LastTransitionTime.After(statusNow.Add(MaxClockSkew)) {
			t.Fatalf("invalid status accepted: %+v", st)
		}
		if _, err := MarshalStatus(&Canary{Metadata: ObjectMeta{Name: "podinfo", Namespace: "test"}}, st); err != nil {
			t.Fatalf("accepted status does not marshal: %v", err)
		}
	})
}
