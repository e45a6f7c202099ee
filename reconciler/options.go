package reconciler

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/gitcanary/gitcanary/analysis/notify"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/gitops/forge"
)

// Options configure `gitcanary run`.
type Options struct {
	Repo gitops.RepoOptions
	// Path limits the scan to a directory of the repository.
	Path string
	// Prometheus is the address of the metrics server.
	Prometheus string
	// Provider is the mesh provider of canaries without spec.provider.
	Provider string
	// IngressAnnotationsPrefix is the prefix of the NGINX canary
	// annotations (Flagger's -ingress-annotations-prefix); empty means
	// nginx.ingress.kubernetes.io.
	IngressAnnotationsPrefix string
	// Once runs a single pass and returns.
	Once bool
	// Interval is how often the loop polls the repository.
	Interval time.Duration
	// Listen is the address of the /healthz and /readyz server;
	// empty for none.
	Listen string
	// Shard is "i/n": this process handles the canaries whose hash modulo
	// n is i.
	Shard string
	// GitHub is the Git host, for sync gates on commit statuses and
	// pull-request approvals.
	GitHub forge.Options
	// Notify configures alerts, Flux events and event webhooks.
	Notify notify.Options
}

// DefaultOptions returns the options' defaults.
func DefaultOptions() Options {
	return Options{
		Provider: "istio",
		Interval: 10 * time.Second,
		Notify:   notify.DefaultOptions(),
	}
}

// BindFlags binds the options to flags.
func (o *Options) BindFlags(fs *pflag.FlagSet) {
	o.Repo.BindFlags(fs)
	o.GitHub.BindFlags(fs)
	o.Notify.BindFlags(fs)
	fs.StringVar(&o.Path, "path", o.Path, "only look for canaries under this directory of the repository")
	fs.StringVar(&o.Prometheus, "prometheus", o.Prometheus, "Prometheus address for the canary analysis, e.g. http://prometheus.istio-system:9090")
	fs.StringVar(&o.Provider, "provider", o.Provider, "mesh provider of canaries that do not set spec.provider")
	fs.StringVar(&o.IngressAnnotationsPrefix, "ingress-annotations-prefix", o.IngressAnnotationsPrefix, "prefix of the NGINX canary annotations of the generated <ingress>-canary (empty: nginx.ingress.kubernetes.io)")
	fs.BoolVar(&o.Once, "once", o.Once, "run one pass (at most one step per canary) and exit")
	fs.DurationVar(&o.Interval, "interval", o.Interval, "how often to fetch the repository and reconcile")
	fs.StringVar(&o.Listen, "listen", o.Listen, "address for /healthz and /readyz (empty: none)")
	fs.StringVar(&o.Shard, "shard", o.Shard, "i/n: reconcile only the canaries of shard i of n")
}

// Validate checks the options.
func (o *Options) Validate() error {
	var errs []error
	if err := o.Repo.Validate(); err != nil {
		errs = append(errs, err)
	}
	if o.Interval < time.Second {
		errs = append(errs, fmt.Errorf("--interval must be at least 1s, got %s", o.Interval))
	}
	if _, _, err := parseShard(o.Shard); err != nil {
		errs = append(errs, err)
	}
	if err := o.Notify.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// parseShard parses "i/n"; the empty string is shard 0 of 1.
func parseShard(s string) (i, n uint32, err error) {
	if s == "" {
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	x, err1 := strconv.ParseUint(a, 10, 32)
	y, err2 := strconv.ParseUint(b, 10, 32)
	if !ok || err1 != nil || err2 != nil || y == 0 || x >= y {
		return 0, 0, fmt.Errorf("--shard must be i/n with 0 <= i < n, got %q", s)
	}
	return uint32(x), uint32(y), nil
}
