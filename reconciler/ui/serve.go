package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"

	"github.com/gitcanary/gitcanary/gitops"
)

// Serve serves the UI on ln until ctx ends, keeping it current (Watch),
// then shuts the server down.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.Watch(ctx)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	_ = srv.Shutdown(sctx)
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ServeLoopback serves the UI of the repository at url (branch branch) on
// a free loopback port, from its own clone, until ctx ends or stop is
// called: what `gitcanary demo` shows while it runs. It returns the UI's
// address ("http://127.0.0.1:PORT") once the first fetch is done.
func ServeLoopback(ctx context.Context, url, branch string, log logr.Logger) (addr string, stop func(), err error) {
	repo, err := gitops.OpenRepo(ctx, gitops.RepoOptions{URL: url, Branch: branch})
	if err != nil {
		return "", nil, err
	}
	opts := DefaultOptions()
	opts.Refresh = 500 * time.Millisecond
	s, err := New(repo, repo, opts, log)
	if err != nil {
		repo.Close()
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		repo.Close()
		return "", nil, fmt.Errorf("ui: %w", err)
	}
	if err := s.refresh(ctx); err != nil {
		log.Error(err, "ui: first fetch")
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Serve(ctx, ln); err != nil {
			log.Error(err, "ui: serve")
		}
	}()
	return "http://" + ln.Addr().String(), func() {
		cancel()
		<-done
		repo.Close()
	}, nil
}
