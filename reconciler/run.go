package reconciler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

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
// finished first, for at most opts.ShutdownTimeout (see Loop).
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
		switch {
		case errors.Is(err, forge.ErrNotGitHub) && opts.GitHub.TokenFile == "":
			// CI runners set GITHUB_TOKEN for their own repository: it says
			// nothing about this remote. Canaries with GitHub gates say so.
			log.Info("GITHUB_TOKEN is set but the repository is not on GitHub: running without GitHub gates", "reason", err.Error())
			options = append(options, withoutForge(err))
		case err != nil:
			return err
		default:
			options = append(options, WithForge(f))
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	options = append(options, WithMetrics(NewMetrics(reg, opts.Version, opts.Provider)))
	r, err := New(repo, opts, log, Measure(ev), nil, options...)
	if err != nil {
		return err
	}
	if opts.Listen != "" {
		secret, err := opts.webhookSecret()
		if err != nil {
			return err
		}
		var page http.Handler
		if opts.UI != nil {
			if page, err = opts.UI(ctx, repo); err != nil {
				return err
			}
		}
		addr, stop, err := r.serve(opts.Listen, reg, secret, page)
		if err != nil {
			return err
		}
		defer stop()
		log.Info("serving /healthz, /readyz, /metrics"+map[bool]string{true: " and the push webhooks", false: ""}[secret != ""], "address", addr)
	}
	log.Info("reconciling", "repo", repo.URL(), "branch", opts.Repo.Branch, "once", opts.Once, "interval", opts.Interval.String())
	if opts.Once {
		pctx, cancel := graceful(ctx, opts.ShutdownTimeout)
		defer cancel()
		return r.runPass(pctx)
	}
	return r.Loop(ctx)
}

// Loop runs a pass every opts.Interval until ctx is done. Once ctx is done
// no pass starts. A pass in flight when it is done runs on for at most
// opts.ShutdownTimeout, so a signal rarely leaves a decision half made and
// never holds the process forever: past the timeout the pass's Git,
// Prometheus and webhook calls are cancelled, and a push cut short is not
// a half-written state (a push is a compare-and-swap of the branch).
func (r *Reconciler) Loop(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			r.log.Info("stopping: signal received")
			return nil
		case <-timer.C:
		case <-r.kicked:
		}
		if ctx.Err() != nil {
			r.log.Info("stopping: signal received")
			return nil
		}
		pctx, cancel := graceful(ctx, r.opts.ShutdownTimeout)
		_ = r.runPass(pctx)
		cancel()
		if ctx.Err() != nil {
			r.log.Info("stopping: signal received, last pass finished")
			return nil
		}
		timer.Reset(r.opts.Interval)
	}
}

// graceful returns a context for a pass: not cancelled when ctx is, but
// grace after that.
func graceful(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	pctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	var timer *time.Timer
	var mu sync.Mutex
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		timer = time.AfterFunc(grace, func() {
			cancel(fmt.Errorf("the pass did not finish within the shutdown timeout (%s)", grace))
		})
	})
	return pctx, func() {
		stop()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel(context.Canceled)
	}
}

func (r *Reconciler) runPass(ctx context.Context) error {
	start := r.now()
	r.health.started(start)
	began := time.Now()
	res, err := r.Pass(ctx)
	r.metrics.passDone(time.Since(began), res)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", err, context.Cause(ctx))
	}
	r.health.ended(res, err)
	if err != nil {
		r.log.Error(err, "pass failed")
		return err
	}
	r.log.V(1).Info("pass done", "head", res.Head.String(), "canaries", res.Canaries, "commits", res.Commits, "duration", r.now().Sub(start).String())
	if len(res.Errors) > 0 {
		for _, e := range res.Errors {
			r.log.Error(e, "pass error")
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
			out = append(out, machine.Check{Metric: res.Metric, Passed: res.Passed, Halt: res.Halt, Summary: res.Summary,
				Value: res.Value, HasValue: res.Err == nil && !res.NoData})
		}
		return out, errors.Join(errs...)
	}
}

// CheckProviders checks a canary's metric providers with ev.
func CheckProviders(ev *analysis.Evaluator) ProviderCheckFunc {
	return ev.CheckProviders
}

// kick asks the loop for a pass now; it never blocks, and requests made
// before that pass starts are one request.
func (r *Reconciler) kick() {
	select {
	case r.kicked <- struct{}{}:
	default:
	}
}

// serve serves /healthz and /readyz (see health), /metrics from reg,
// with a secret the push webhooks (see pushHooks), and the UI's page at /.
func (r *Reconciler) serve(addr string, reg *prometheus.Registry, secret string, page http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("--listen: %w", err)
	}
	mux := http.NewServeMux()
	r.health.register(mux, r.stuckAfter(), time.Now)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	if secret != "" {
		(&pushHooks{branch: r.opts.Repo.Branch, secret: []byte(secret), kick: r.kick, log: r.log}).register(mux)
	}
	if page != nil {
		mux.Handle("/", page)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.log.Error(err, "health server")
		}
	}()
	return ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// stuckAfter is how long a pass may run before /healthz says the process is
// stuck: far longer than any pass should take with Git's timeouts.
func (r *Reconciler) stuckAfter() time.Duration {
	return max(10*time.Minute, 10*r.opts.Interval)
}
