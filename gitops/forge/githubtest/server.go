package githubtest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// APIPrefix is the path under which the API is served, as on GitHub
// Enterprise Server, so clients are tested with a non-root API URL.
const APIPrefix = "/api/v3"

// DefaultLogin is the user the token belongs to: the author of pull
// requests, comments and statuses created through the API.
const DefaultLogin = "gitcanary"

// Request is one request the server received.
type Request struct {
	Method string
	// Path is the URL path without [APIPrefix], e.g. "/repos/o/r/pulls".
	Path  string
	Query string
	Body  string
	// Status is the HTTP status of the answer.
	Status int
}

// Server is the stand-in GitHub API. It is safe for concurrent use.
type Server struct {
	// URL is the API root to use as the client's API URL; it ends in
	// APIPrefix + "/".
	URL string
	// Token is the token every request must carry.
	Token string
	// Now is the stand-in's clock for the times it records (statuses,
	// check runs, pull requests); default time.Now. Set it before use.
	Now func() time.Time

	srv    *httptest.Server
	mu     sync.Mutex
	repos  map[string]*Repo
	log    []Request
	faults []fault
	seq    int64
}

// fault is one canned answer given instead of the real one.
type fault struct {
	status int
	header http.Header
	body   string
}

// NewServer starts a server on 127.0.0.1 that accepts token and stops it
// when the test ends.
func NewServer(tb testing.TB, token string) *Server {
	tb.Helper()
	s := &Server{Token: token, repos: map[string]*Repo{}}
	s.srv = httptest.NewServer(s.handler())
	s.URL = s.srv.URL + APIPrefix + "/"
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// FailNext makes the next n requests fail with status (e.g. 502).
func (s *Server) FailNext(n, status int) {
	s.addFaults(n, fault{status: status, body: `{"message":"` + http.StatusText(status) + `"}`})
}

// RateLimitNext makes the next n requests fail as GitHub does when the
// primary rate limit is used up: 403 with X-RateLimit-Remaining: 0 and
// X-RateLimit-Reset set to reset.
func (s *Server) RateLimitNext(n int, reset time.Time) {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Used", "5000")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	s.addFaults(n, fault{status: http.StatusForbidden, header: h,
		body: `{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"}`})
}

// SecondaryRateLimitNext makes the next n requests fail with GitHub's
// secondary rate limit answer: 403 with Retry-After.
func (s *Server) SecondaryRateLimitNext(n int, retryAfter time.Duration) {
	h := http.Header{}
	h.Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	s.addFaults(n, fault{status: http.StatusForbidden, header: h,
		body: `{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`})
}

func (s *Server) addFaults(n int, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// handler logs each request, checks the token, serves injected faults and
// then the API.
func (s *Server) handler() http.Handler {
	mux := s.routes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.log = append(s.log, Request{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, APIPrefix),
				Query: r.URL.RawQuery, Body: string(body), Status: rec.status})
		}()
		auth := r.Header.Get("Authorization")
		if s.Token == "" || (auth != "Bearer "+s.Token && auth != "token "+s.Token) {
			writeError(rec, http.StatusUnauthorized, "Bad credentials")
			return
		}
		if f, ok := s.nextFault(); ok {
			for k, v := range f.header {
				rec.Header()[k] = v
			}
			rec.Header().Set("Content-Type", "application/json; charset=utf-8")
			rec.WriteHeader(f.status)
			_, _ = io.WriteString(rec, f.body)
			return
		}
		mux.ServeHTTP(rec, r)
	})
}

func (s *Server) nextFault() (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

// tick returns a new sequence number and the time to stamp a change with.
// The caller holds s.mu.
func (s *Server) tick() (int64, time.Time) {
	s.seq++
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return s.seq, now().UTC().Truncate(time.Second)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
