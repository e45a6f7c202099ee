package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestLoggerWritesFluxLines checks the lines of Flux's controllers' logger:
// JSON with level, ts (ISO 8601), msg and the key/values, errors under
// "error", V(2) as "trace" when --log-level=trace, nothing below the level.
func TestLoggerWritesFluxLines(t *testing.T) {
	var buf bytes.Buffer
	log, err := newLogger(logOptions{Encoding: "json", Level: "trace"}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("Advance podinfo.test canary weight 10", "canary", "podinfo.test")
	log.V(2).Info("fetched", "head", "0123abc")
	log.Error(errors.New("connection refused"), "Prometheus query failed")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got %d:\n%s", len(lines), buf.String())
	}
	var got []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", l, err)
		}
		got = append(got, m)
	}
	for i, want := range []map[string]string{
		{"level": "info", "msg": "Advance podinfo.test canary weight 10", "canary": "podinfo.test"},
		{"level": "trace", "msg": "fetched", "head": "0123abc"},
		{"level": "error", "msg": "Prometheus query failed", "error": "connection refused"},
	} {
		for k, v := range want {
			if got[i][k] != v {
				t.Errorf("line %d: %s = %v, want %q (%s)", i+1, k, got[i][k], v, lines[i])
			}
		}
		ts, _ := got[i]["ts"].(string)
		if _, err := time.Parse("2006-01-02T15:04:05.000Z0700", ts); err != nil {
			t.Errorf("line %d: ts %q is not ISO 8601 as Flux writes it: %v", i+1, ts, err)
		}
	}
	// Flux logs no caller; stack traces only from the debug level on.
	if _, ok := got[0]["caller"]; ok {
		t.Errorf("a caller field: %s", lines[0])
	}
	if _, ok := got[2]["stacktrace"]; !ok {
		t.Errorf("an error at --log-level=trace has no stack trace: %s", lines[2])
	}

	buf.Reset()
	log, err = newLogger(logOptions{Encoding: "json", Level: "info"}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	log.V(1).Info("debug line")
	log.Error(errors.New("boom"), "failed")
	if out := buf.String(); strings.Contains(out, "debug line") || strings.Contains(out, "stacktrace") || !strings.Contains(out, `"msg":"failed"`) {
		t.Errorf("--log-level=info: want only the error, without a stack trace; got\n%s", out)
	}
}

func TestLoggerRefusesUnknownOptions(t *testing.T) {
	for _, o := range []logOptions{{Encoding: "xml", Level: "info"}, {Encoding: "json", Level: "verbose"}} {
		_, err := newLogger(o, &bytes.Buffer{})
		if err == nil {
			t.Errorf("%+v: no error", o)
			continue
		}
		if !strings.Contains(err.Error(), o.Encoding) && !strings.Contains(err.Error(), o.Level) {
			t.Errorf("%+v: the error does not name the value: %v", o, err)
		}
	}
}
