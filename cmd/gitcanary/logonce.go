package main

import (
	"sync"

	"github.com/go-logr/logr"
)

// reported is an error the command has already told the user about (run
// logs its error as a JSON line): main exits 1 without printing it again,
// so `gitcanary run ... 2>&1 | jq .msg` never meets a plain-text line.
type reported struct{ err error }

func (r reported) Error() string { return r.err.Error() }
func (r reported) Unwrap() error { return r.err }

// logOnce wraps log so that the caller can ask whether an error was
// already logged (the reconciler logs a failed pass before returning it).
func logOnce(log logr.Logger) (logr.Logger, func(error) bool) {
	s := &onceSink{seen: &seenErrors{texts: map[string]bool{}}}
	s.LogSink = log.GetSink()
	if cd, ok := s.LogSink.(logr.CallDepthLogSink); ok {
		s.LogSink = cd.WithCallDepth(1) // this wrapper's frame
	}
	return logr.New(s), s.seen.has
}

// seenErrors are the texts of the errors logged so far.
type seenErrors struct {
	mu    sync.Mutex
	texts map[string]bool
}

func (s *seenErrors) add(err error) {
	if err == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.texts[err.Error()] = true
}

func (s *seenErrors) has(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.texts[err.Error()]
}

// onceSink is a logr.LogSink that records the errors it logs.
type onceSink struct {
	logr.LogSink
	seen *seenErrors
}

func (s *onceSink) Error(err error, msg string, kv ...any) {
	s.seen.add(err)
	s.LogSink.Error(err, msg, kv...)
}

func (s *onceSink) WithValues(kv ...any) logr.LogSink {
	return &onceSink{LogSink: s.LogSink.WithValues(kv...), seen: s.seen}
}

func (s *onceSink) WithName(name string) logr.LogSink {
	return &onceSink{LogSink: s.LogSink.WithName(name), seen: s.seen}
}
