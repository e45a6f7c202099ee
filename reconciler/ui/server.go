package ui

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler"
)

//go:embed web
var webFS embed.FS

// Server is the UI: an http.Handler over a config repository. Run Watch
// to keep it current.
type Server struct {
	repo  *gitops.Repo
	fetch Fetcher
	opts  Options
	links links
	log   logr.Logger
	now   func() time.Time
	state *state
	pages map[string]*template.Template
	cache *cache
	// images remembers the canaries' target images across heads.
	images  *reconciler.ImageMemo
	handler http.Handler
}

// New returns the UI of repo, whose head fetch gives (repo itself, or a
// FetchFunc reading the head another loop fetches). It reads the secrets
// of opts.Auth once, here.
func New(repo *gitops.Repo, fetch Fetcher, opts Options, log logr.Logger) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	creds, err := opts.Auth.credentials()
	if err != nil {
		return nil, err
	}
	s := &Server{
		repo: repo, fetch: fetch, opts: opts, log: log, now: time.Now,
		links: newLinks(opts.ForgeURL, repo.URL()), state: newState(), cache: newCache(), images: reconciler.NewImageMemo(),
	}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	static, err := fs.Sub(webFS, "web/static")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.overview)
	mux.HandleFunc("GET /canaries/{ns}/{name}", s.canary)
	mux.HandleFunc("GET /canaries/{ns}/{name}/rollouts/{first}", s.rollout)
	mux.HandleFunc("GET /canaries/{ns}/{name}/rollouts/{first}/weight.svg", s.weightSVG)
	mux.HandleFunc("GET /canaries/{ns}/{name}/rollouts/{first}/metrics/{metric}", s.metricSVG)
	mux.HandleFunc("GET /events", s.events)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.handler = creds.guard(secure(mux))
	return s, nil
}

// ServeHTTP serves the pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// secure sets the headers that keep the pages read-only and their own:
// no script, style or image from elsewhere, no framing, no referrer.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// parsePages parses each page with the layout and the shared parts.
func parsePages() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, name := range []string{"overview", "canary", "rollout", "error"} {
		t, err := template.New(name).Funcs(funcs).ParseFS(webFS, "web/layout.html", "web/parts.html", "web/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("ui: parse %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

var funcs = template.FuncMap{
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"clock": func(t time.Time) string { return t.UTC().Format("15:04:05") },
	"ago": func(now, t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return age(now.Sub(t)) + " ago"
	},
	"dur":   func(d time.Duration) string { return d.Round(100 * time.Millisecond).String() },
	"join":  strings.Join,
	"lower": strings.ToLower,
}

// age is a duration in its largest whole unit: "45s", "12m", "3h", "6d".
func age(d time.Duration) string {
	units := []struct {
		d    time.Duration
		unit string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}}
	for _, u := range units {
		if d >= u.d {
			return strconv.Itoa(int(d/u.d)) + u.unit
		}
	}
	return strconv.Itoa(int(max(d, 0)/time.Second)) + "s"
}

// errNotFound is a page that does not exist: an unknown canary or rollout.
var errNotFound = errors.New("not found")

// current returns the view to show, waiting for the first fetch.
func (s *Server) current(ctx context.Context) (*view, page, error) {
	for {
		v, fetched, changed, ferr := s.state.get()
		p := page{Repo: s.repo.URL(), Branch: s.repo.Branch(), Fetched: fetched, Now: s.now()}
		if ferr != nil {
			p.FetchErr = ferr.Error()
		}
		if v != nil {
			p.Head = v.head.String()
			return v, p, nil
		}
		if ferr != nil {
			return nil, p, ferr
		}
		select {
		case <-ctx.Done():
			return nil, p, ctx.Err()
		case <-changed:
		}
	}
}

// show renders page name with data, or the error page.
func (s *Server) show(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.Error(err, "ui: render", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// fail shows the error page: not found, or what went wrong.
func (s *Server) fail(w http.ResponseWriter, p page, err error) {
	code := http.StatusInternalServerError
	if errors.Is(err, errNotFound) {
		code = http.StatusNotFound
	} else {
		s.log.Error(err, "ui")
	}
	p.Title = http.StatusText(code)
	w.WriteHeader(code)
	s.show(w, "error", struct {
		page
		Err string
	}{p, err.Error()})
}
