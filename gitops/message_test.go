package gitops

import (
	"reflect"
	"strings"
	"testing"
)

func TestFormatMessageParsesWithGit(t *testing.T) {
	t.Parallel()
	trailers := []Trailer{
		{"Canary", "test/podinfo"},
		{"Canary-Phase", "Progressing"},
		{"Canary-Weight", "10"},
		{"Canary-Revision", "5f1c2e9a"},
	}
	tests := []struct {
		name              string
		subject           string
		body              []string
		wantSubject, want string
	}{
		{"with body", "Advance podinfo.test canary weight 10", []string{"request-success-rate 99.87% >= 99%", "request-duration 212ms <= 500ms"},
			"Advance podinfo.test canary weight 10", "request-success-rate 99.87% >= 99%\nrequest-duration 212ms <= 500ms"},
		{"no body", "Initialization done! podinfo.test", nil, "Initialization done! podinfo.test", ""},
		{"paragraphs and a divider", "Halt podinfo.test advancement", []string{"first paragraph", "", "--- not a patch", "Note: a colon line in the body"},
			"Halt podinfo.test advancement", "first paragraph\n\n --- not a patch\nNote: a colon line in the body"},
		{"multi-line subject", "Rolling back\npodinfo.test", []string{"", "", "x"}, "Rolling back podinfo.test", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := FormatMessage(tt.subject, tt.body, trailers)
			got := runInput(t, t.TempDir(), msg, "interpret-trailers", "--parse")
			var want []string
			for _, tr := range trailers {
				want = append(want, tr.Key+": "+tr.Value)
			}
			if got != strings.Join(want, "\n") {
				t.Fatalf("git interpret-trailers --parse of\n%s\ngave\n%s", msg, got)
			}
			subject, body, parsed := ParseMessage(msg)
			if subject != tt.wantSubject {
				t.Errorf("subject = %q, want %q", subject, tt.wantSubject)
			}
			if body != tt.want {
				t.Errorf("body = %q, want %q", body, tt.want)
			}
			if !reflect.DeepEqual(parsed, trailers) {
				t.Errorf("trailers = %v", parsed)
			}
		})
	}
}

func TestParseMessageOfGitCommit(t *testing.T) {
	t.Parallel()
	// git itself writes the trailers; ParseMessage reads them back.
	work := t.TempDir()
	run(t, work, "init", "-q")
	run(t, work, "commit", "-q", "--allow-empty", "-m", "Promotion completed! podinfo.test", "-m", "all checks passed",
		"--trailer", "Canary: test/podinfo", "--trailer", "Canary-Phase: Succeeded")
	msg := run(t, work, "log", "-1", "--format=%B")
	subject, body, trailers := ParseMessage(msg)
	if subject != "Promotion completed! podinfo.test" || body != "all checks passed" {
		t.Fatalf("subject %q body %q", subject, body)
	}
	want := []Trailer{{"Canary", "test/podinfo"}, {"Canary-Phase", "Succeeded"}}
	if !reflect.DeepEqual(trailers, want) {
		t.Fatalf("trailers = %v", trailers)
	}
}

func TestParseMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, msg, subject, body string
		trailers                 []Trailer
	}{
		{"subject only", "Bump\n", "Bump", "", nil},
		{"trailer-like first paragraph is the subject", "Key: v\n", "Key: v", "", nil},
		{"no blank line before trailers", "Bump\nKey: v\n", "Bump", "Key: v", nil},
		{"mixed last paragraph is body", "S\n\nKey: v\nnot a trailer\n", "S", "Key: v\nnot a trailer", nil},
		{"continuation line", "S\n\nKey: a\n  b\nOther:c\n", "S", "", []Trailer{{"Key", "a b"}, {"Other", "c"}}},
		{"crlf", "S\r\n\r\nbody\r\n\r\nK: v\r\n", "S", "body", []Trailer{{"K", "v"}}},
		{"empty", "", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, b, tr := ParseMessage(tt.msg)
			if s != tt.subject || b != tt.body || !reflect.DeepEqual(tr, tt.trailers) {
				t.Fatalf("ParseMessage(%q) = %q, %q, %v", tt.msg, s, b, tr)
			}
		})
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add("Advance podinfo.test canary weight 10\n\nrequest-success-rate 99.87%\n\nCanary: test/podinfo\nCanary-Weight: 10\n")
	f.Add("S\n\nKey: a\n  b\n")
	f.Add("\n\n---\nK:v")
	f.Fuzz(func(t *testing.T, msg string) {
		subject, body, trailers := ParseMessage(msg)
		if strings.Contains(subject, "\n") {
			t.Fatalf("subject has a newline: %q", subject)
		}
		for _, tr := range trailers {
			if !validTrailerKey(tr.Key) || strings.Contains(tr.Value, "\n") {
				t.Fatalf("bad trailer %q", tr)
			}
		}
		// Formatting what was parsed and parsing again keeps subject and
		// trailers. (Without trailers, a body whose last paragraph looks
		// like trailers is read as trailers, by git as well.)
		var lines []string
		if body != "" {
			lines = strings.Split(body, "\n")
		}
		s2, _, t2 := ParseMessage(FormatMessage(subject, lines, trailers))
		if s2 != oneLine(subject) {
			t.Fatalf("subject %q became %q", subject, s2)
		}
		if len(trailers) > 0 && !reflect.DeepEqual(t2, trailers) {
			t.Fatalf("trailers %q became %q", trailers, t2)
		}
	})
}
