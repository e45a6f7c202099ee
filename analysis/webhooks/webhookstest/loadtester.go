package webhookstest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/gitcanary/gitcanary/analysis/webhooks"
)

// Task types the loadtester runs while the request waits.
var blockingTypes = map[string]bool{"bash": true, "helm": true, "helmv3": true, "concord": true}

// taskTypeShell is the default task type: a command run in the background.
const taskTypeShell = "cmd"

// Request is one request the Loadtester received.
type Request struct {
	// Path is the URL path.
	Path string
	// Payload is the decoded body; zero when it did not decode.
	Payload webhooks.Payload
	// Body is the raw body.
	Body []byte
}

// Loadtester is an http.Handler speaking flagger-loadtester's contract. It
// records every request. The zero value is not usable; use NewLoadtester.
type Loadtester struct {
	// Run executes a blocking task (type bash, helm, helmv3 or concord) and
	// returns its output; an error makes the loadtester answer 500 with the
	// error text. Nil runs nothing and succeeds.
	Run func(ctx context.Context, p webhooks.Payload) ([]byte, error)

	mu       sync.Mutex
	gates    map[string]bool
	requests []Request
	tasks    []webhooks.Payload
}

// NewLoadtester returns a Loadtester with every gate closed.
func NewLoadtester() *Loadtester {
	return &Loadtester{gates: map[string]bool{}}
}

// Requests returns the requests received so far.
func (l *Loadtester) Requests() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Request(nil), l.requests...)
}

// Tasks returns the asynchronous tasks (type cmd) accepted so far.
func (l *Loadtester) Tasks() []webhooks.Payload {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]webhooks.Payload(nil), l.tasks...)
}

// SetGate opens or closes the gate of canary "name.namespace" (prefix
// "rollback." for rollback gates), as /gate/open and /gate/close do.
func (l *Loadtester) SetGate(key string, open bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gates[key] = open
}

// ServeHTTP implements the loadtester's endpoints.
func (l *Loadtester) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	p, perr := webhooks.ParsePayload(body)
	l.mu.Lock()
	l.requests = append(l.requests, Request{Path: r.URL.Path, Payload: p, Body: body})
	l.mu.Unlock()

	switch r.URL.Path {
	case "/healthz", "/gate/approve":
		reply(w, http.StatusOK, "OK")
		return
	case "/gate/halt":
		reply(w, http.StatusForbidden, "Forbidden")
		return
	}
	if perr != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	key := p.Name + "." + p.Namespace
	switch r.URL.Path {
	case "/gate/check":
		l.check(w, key)
	case "/gate/open":
		l.SetGate(key, true)
		w.WriteHeader(http.StatusAccepted)
	case "/gate/close":
		l.SetGate(key, false)
		w.WriteHeader(http.StatusAccepted)
	case "/rollback/check":
		l.check(w, "rollback."+key)
	case "/rollback/open":
		l.SetGate("rollback."+key, true)
		w.WriteHeader(http.StatusAccepted)
	case "/rollback/close":
		l.SetGate("rollback."+key, false)
		w.WriteHeader(http.StatusAccepted)
	case "/":
		l.task(w, r, p)
	default:
		http.NotFound(w, r)
	}
}

func (l *Loadtester) check(w http.ResponseWriter, key string) {
	l.mu.Lock()
	open := l.gates[key]
	l.mu.Unlock()
	if open {
		reply(w, http.StatusOK, "Approved")
		return
	}
	reply(w, http.StatusForbidden, "Forbidden")
}

func (l *Loadtester) task(w http.ResponseWriter, r *http.Request, p webhooks.Payload) {
	if len(p.Metadata) == 0 {
		reply(w, http.StatusBadRequest, "metadata not found in payload")
		return
	}
	typ, ok := p.Metadata["type"]
	if !ok {
		typ = taskTypeShell
	}
	if blockingTypes[typ] {
		var out []byte
		if l.Run != nil {
			var err error
			if out, err = l.Run(r.Context(), p); err != nil {
				reply(w, http.StatusInternalServerError, err.Error())
				return
			}
		}
		w.WriteHeader(http.StatusOK)
		if ret, _ := strconv.ParseBool(p.Metadata["returnCmdOutput"]); ret {
			_, _ = w.Write(out)
		}
		return
	}
	if typ != taskTypeShell {
		reply(w, http.StatusBadRequest, fmt.Sprintf("unknown task type %s", typ))
		return
	}
	if _, ok := p.Metadata["cmd"]; !ok {
		reply(w, http.StatusBadRequest, "cmd not found in metadata")
		return
	}
	l.mu.Lock()
	l.tasks = append(l.tasks, p)
	l.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func reply(w http.ResponseWriter, code int, text string) {
	w.WriteHeader(code)
	_, _ = io.WriteString(w, text)
}
