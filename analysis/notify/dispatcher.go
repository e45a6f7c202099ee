package notify

import (
	"context"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// DefaultTimeout bounds one delivery to one provider or recorder.
const DefaultTimeout = 10 * time.Second

// Recorder receives every event of every transition: the Flux
// notification-controller (FluxEvents), Flagger event webhooks
// (EventHooks).
type Recorder interface {
	Record(ctx context.Context, t Transition, e Event) error
}

// RecorderFunc adapts a function to the Recorder interface.
type RecorderFunc func(ctx context.Context, t Transition, e Event) error

// Record calls f(ctx, t, e).
func (f RecorderFunc) Record(ctx context.Context, t Transition, e Event) error { return f(ctx, t, e) }

// Dispatcher delivers a transition's notifications and events. Failures
// are logged, never returned: notifications never stop a rollout.
type Dispatcher struct {
	log       logr.Logger
	secrets   SecretReader
	global    []named
	recorders []namedRecorder
	timeout   time.Duration
	cluster   string
	newNotif  func(Config) (Notifier, error)
}

type named struct {
	name string
	n    Notifier
}

type namedRecorder struct {
	name string
	r    Recorder
}

// DispatcherOption configures a Dispatcher.
type DispatcherOption func(*Dispatcher)

// WithSecrets sets where the secretRefs of AlertProviders are read.
func WithSecrets(s SecretReader) DispatcherOption {
	return func(d *Dispatcher) { d.secrets = s }
}

// WithGlobal adds a provider for canaries without analysis.alerts, as
// Flagger's --slack-url and friends; it receives every alert of those
// canaries. name identifies it in logs.
func WithGlobal(name string, n Notifier) DispatcherOption {
	return func(d *Dispatcher) { d.global = append(d.global, named{name, n}) }
}

// WithRecorder adds a recorder of every event. name identifies it in logs.
func WithRecorder(name string, r Recorder) DispatcherOption {
	return func(d *Dispatcher) { d.recorders = append(d.recorders, namedRecorder{name, r}) }
}

// WithTimeout bounds each delivery (default DefaultTimeout).
func WithTimeout(t time.Duration) DispatcherOption {
	return func(d *Dispatcher) { d.timeout = t }
}

// WithClusterName adds a "Cluster" field to every alert, as Flagger's
// -cluster-name does.
func WithClusterName(name string) DispatcherOption {
	return func(d *Dispatcher) { d.cluster = name }
}

// WithNotifierFactory replaces NewNotifier, which turns an AlertProvider's
// Config into a Notifier (tests use it to inject an HTTP client).
func WithNotifierFactory(f func(Config) (Notifier, error)) DispatcherOption {
	return func(d *Dispatcher) { d.newNotif = f }
}

// NewDispatcher returns a Dispatcher logging to log.
func NewDispatcher(log logr.Logger, opts ...DispatcherOption) *Dispatcher {
	d := &Dispatcher{log: log, timeout: DefaultTimeout, newNotif: NewNotifier}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Dispatch delivers a transition: each event to every recorder, in order,
// and each alert of Alerts(t) to the providers the canary's
// analysis.alerts select by severity, looked up in cat, or to the global
// providers when the canary has no alerts. Deliveries run concurrently,
// each bounded by the timeout; Dispatch returns when all are done.
func (d *Dispatcher) Dispatch(ctx context.Context, cat *Catalog, t Transition) {
	log := d.log.WithValues("canary", t.Canary.Key())
	var wg sync.WaitGroup
	for _, r := range d.recorders {
		wg.Go(func() {
			for _, e := range t.Events {
				if err := d.bounded(ctx, func(ctx context.Context) error { return r.r.Record(ctx, t, e) }); err != nil {
					log.Error(err, "event can't be recorded", "recorder", r.name)
				}
			}
		})
	}
	msgs := Alerts(t)
	if len(msgs) > 0 {
		if d.cluster != "" {
			for i := range msgs {
				msgs[i].Fields = append([]Field{{Name: "Cluster", Value: d.cluster}}, msgs[i].Fields...)
			}
		}
		for _, dest := range d.destinations(cat, t, log) {
			wg.Go(func() {
				for _, m := range msgs {
					if !dest.severity.Includes(m.Severity) {
						continue
					}
					if err := d.bounded(ctx, func(ctx context.Context) error { return dest.n.Post(ctx, m) }); err != nil {
						log.Error(err, "alert can't be sent", "provider", dest.name)
					}
				}
			})
		}
	}
	wg.Wait()
}

type destination struct {
	name     string
	n        Notifier
	severity Severity
}

// destinations resolves the canary's alerts into notifiers; a provider that
// cannot be resolved is logged and skipped.
func (d *Dispatcher) destinations(cat *Catalog, t Transition, log logr.Logger) []destination {
	c := t.Canary
	an := c.Spec.Analysis
	if an == nil || len(an.Alerts) == 0 {
		out := make([]destination, 0, len(d.global))
		for _, g := range d.global {
			out = append(out, destination{name: g.name, n: g.n, severity: SeverityInfo})
		}
		return out
	}
	var out []destination
	for _, a := range an.Alerts {
		sev, err := ParseSeverity(a.Severity)
		if err != nil {
			log.Error(err, "alert skipped", "alert", a.Name)
			continue
		}
		if a.ProviderRef == nil {
			log.Error(nil, "alert skipped: no providerRef", "alert", a.Name)
			continue
		}
		ns := providerNamespace(c, a)
		p, ok := cat.Get(ns, a.ProviderRef.Name)
		if !ok {
			log.Error(nil, "alert skipped: AlertProvider not found", "alert", a.Name, "provider", ns+"/"+a.ProviderRef.Name)
			continue
		}
		cfg, err := p.Config(d.secrets)
		if err != nil {
			log.Error(err, "alert skipped", "alert", a.Name, "provider", p.Key())
			continue
		}
		n, err := d.newNotif(cfg)
		if err != nil {
			log.Error(err, "alert skipped", "alert", a.Name, "provider", p.Key())
			continue
		}
		out = append(out, destination{name: p.Key(), n: n, severity: sev})
	}
	return out
}

func (d *Dispatcher) bounded(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	return f(ctx)
}
