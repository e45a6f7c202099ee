package reconciler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/go-logr/logr"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/analysis/notify"
	"github.com/gitcanary/gitcanary/analysis/secrets"
	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/gitops/forge"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/machine"
)

// ErrPassFailed is returned by Run with --once when any canary or document
// had an error; the others were still reconciled.
var ErrPassFailed = errors.New("some canaries could not be reconciled")

// Run reconciles the repository: one pass with opts.Once, else a pass every
// opts.Interval until ctx is done. A pass in flight when ctx is cancelled is
// finished first, so no half-made decision is left behind.
func Run(ctx context.Context, opts Options, log logr.Logger) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	repo, err := gitops.OpenRepo(ctx, opts.Repo)
	if err != nil {
		return err
	}
	defer repo.Close()
	q, err := NewQuerier(opts.Prometheus)
	if err != nil {
		return err
	}
	hooks := webhooks.New(webhooks.WithEventWebhook(os.Getenv(notify.EnvEventWebhook)))
	disp, err := opts.Notify.NewDispatcher(log, nil, hooks)
	if err != nil {
		return err
	}
	ev := analysis.NewEvaluator(q, analysis.WithSecrets(secrets.Dir(opts.SecretsDir)))
	options := []Option{WithQuerier(q), WithWebhooks(hooks), WithDispatcher(disp), WithProviderCheck(CheckProviders(ev))}
	if opts.GitHub.TokenFile != "" || os.Getenv("GITHUB_TOKEN") != "" {
		f, err := forge.New(opts.GitHub, opts.Repo.URL, nil, forge.WithLogger(log))
		if err != nil {
			return err
		}
		options = append(options, WithForge(f))
	}
	r, err := New(repo, opts, log, Measure(ev), nil, options...)
	if err != nil {
		return err
	}
	if opts.Listen != "" {
		stop, err := serveHealth(opts.Listen, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	log.Info("reconciling", "repo", repo.URL(), "branch", opts.Repo.Branch, "once", opts.Once, "interval", opts.Interval.String())
	if opts.Once {
		return r.runPass(context.WithoutCancel(ctx))
	}
	return r.Loop(ctx)
}

// Loop runs a pass every opts.Interval until ctx is done. A pass in flight
// when ctx is cancelled runs to its end (its push included), so a signal
// never leaves a decision half made.
func (r *Reconciler) Loop(ctx context.Context) error {
	tick := time.NewTicker(r.opts.Interval)
	defer tick.Stop()
	for {
		_ = r.runPass(context.WithoutCancel(ctx))
		select {
		case <-ctx.Done():
			r.log.Info("stopping: signal received, last pass finished")
			return nil
		case <-tick.C:
		}
	}
}

func (r *Reconciler) runPass(ctx context.Context) error {
	start := r.now()
	res, err := r.Pass(ctx)
	if err != nil {
		r.log.Error(err, "pass failed")
		return err
	}
	r.log.V(1).Info("pass done", "head", res.Head.String(), "canaries", res.Canaries, "commits", res.Commits, "duration", r.now().Sub(start).String())
	if len(res.Errors) > 0 {
		for _, e := range res.Errors {
			r.log.Error(e, "invalid input")
		}
		return fmt.Errorf("%w: %d errors", ErrPassFailed, len(res.Errors))
	}
	return nil
}

// NewQuerier returns the Prometheus querier at address; with no address,
// one whose every query fails saying so (canaries with spec.metricsServer or
// MetricTemplates with their own address still work).
func NewQuerier(address string) (analysis.Querier, error) {
	if address == "" {
		return analysis.QuerierFunc(func(context.Context, string, time.Time) (float64, error) {
			return 0, errors.New("no Prometheus address: set --prometheus or spec.metricsServer")
		}), nil
	}
	p, err := analysis.NewPrometheus(address)
	if err != nil {
		return nil, fmt.Errorf("--prometheus: %w", err)
	}
	return p, nil
}

// Measure runs a canary's metric checks with ev, one long-lived evaluator
// (its clients and the Secrets of MetricTemplates are reused). A check that
// could not be measured (the query failed, no metrics server) fails, as in
// Flagger, and is reported in the error.
func Measure(ev *analysis.Evaluator) MeasureFunc {
	return func(ctx context.Context, c *api.Canary, tmpls analysis.TemplateLookup, now time.Time) ([]machine.Check, error) {
		results := ev.Evaluate(ctx, c, tmpls, now)
		out := make([]machine.Check, 0, len(results))
		var errs []error
		for _, res := range results {
			if res.Err != nil {
				errs = append(errs, fmt.Errorf("metric %s could not be measured: %w", res.Metric, res.Err))
			}
			out = append(out, machine.Check{Metric: res.Metric, Passed: res.Passed, Halt: res.Halt, Summary: res.Summary})
		}
		return out, errors.Join(errs...)
	}
}

// CheckProviders checks a canary's metric providers with ev.
func CheckProviders(ev *analysis.Evaluator) ProviderCheckFunc {
	return ev.CheckProviders
}

// serveHealth serves /healthz and /readyz.
func serveHealth(addr string, log logr.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--listen: %w", err)
	}
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") }
	mux.HandleFunc("/healthz", ok)
	mux.HandleFunc("/readyz", ok)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error(err, "health server")
		}
	}()
	return func() { _ = srv.Close() }, nil
}
