package providertest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Answer returns the values a query measures, oldest first; none means the
// provider finds no data for it.
type Answer func(query string) []float64

// Request is a request a stand-in got.
type Request struct {
	Method, Path string
	Header       http.Header
	// Query is the metric query the request asked (empty for other calls).
	Query string
}

// server is the part every stand-in shares: an httptest server, the
// answer the test set and the requests it got.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	answer   Answer
	requests []Request
}

func start(t testing.TB, serve func(w http.ResponseWriter, r *http.Request, body []byte) (query string)) *server {
	s := &server{answer: func(string) []float64 { return nil }}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		q := serve(w, r, body)
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Query: q})
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

// Answer sets what the queries measure from now on.
func (s *server) Answer(a Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer = a
}

func (s *server) values(query string) []float64 {
	s.mu.Lock()
	a := s.answer
	s.mu.Unlock()
	return a(query)
}

// Requests returns the requests so far.
func (s *server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}
