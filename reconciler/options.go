package reconciler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
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
	// ShutdownTimeout bounds how long a pass in flight may go on after a
	// signal.
	ShutdownTimeout time.Duration
	// Listen is the address of the server of /healthz, /readyz, /metrics
	// and the push webhooks; empty for none.
	Listen string
	// WebhookSecretFile holds the secret of the push webhooks
	// (/hooks/github, /hooks/git); $GITCANARY_WEBHOOK_SECRET otherwise.
	// Without one the webhooks are not served.
	WebhookSecretFile string
	// Version is gitcanary's version, for flagger_info.
	Version string
	// UIURL is where gitcanary's web UI is served, for the links of the
	// commit statuses on the commits that trigger rollouts.
	UIURL string
	// UI, when set, builds the web UI that --listen serves at / over the
	// reconciler's own clone (reconciler/ui; set by the command, which can
	// import it).
	UI func(ctx context.Context, repo *gitops.Repo) (http.Handler, error)
	// Shard is "i/n": this process handles the canaries whose hash modulo
	// n is i.
	Shard string
	// GitHub is the Git host, for sync gates on commit statuses and
	// pull-request approvals.
	GitHub forge.Options
	// Notify configures alerts, Flux events and event webhooks.
	Notify notify.Options
	// SecretsDir holds the Secrets MetricTemplates reference, mounted as
	// <dir>/<namespace>/<name>/<key>.
	SecretsDir string
	// MaxPushBytes bounds the compressed size of the commits a pass keeps
	// before it pushes them (0: DefaultMaxPushBytes). A pass that commits
	// for many canaries pushes each time it reaches it.
	MaxPushBytes int64
}

// DefaultMaxPushBytes is the default of [Options].MaxPushBytes.
const DefaultMaxPushBytes = 32 << 20

func (o *Options) maxPushBytes() int64 {
	if o.MaxPushBytes <= 0 {
		return DefaultMaxPushBytes
	}
	return o.MaxPushBytes
}

// EnvWebhookSecret is the environment variable that may hold the push
// webhooks' secret.
const EnvWebhookSecret = "GITCANARY_WEBHOOK_SECRET"

// webhookSecret reads the push webhooks' secret: "" when none is set.
func (o *Options) webhookSecret() (string, error) {
	if o.WebhookSecretFile != "" {
		b, err := os.ReadFile(o.WebhookSecretFile)
		if err != nil {
			return "", fmt.Errorf("--webhook-secret-file: %w", err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", fmt.Errorf("--webhook-secret-file: %s is empty", o.WebhookSecretFile)
		}
		return s, nil
	}
	return strings.TrimSpace(os.Getenv(EnvWebhookSecret)), nil
}

// DefaultOptions returns the options' defaults.
func DefaultOptions() Options {
	return Options{
		Provider:        "istio",
		Interval:        10 * time.Second,
		ShutdownTimeout: 30 * time.Second,
		Notify:          notify.DefaultOptions(),
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
	fs.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", o.ShutdownTimeout, "how long a pass in flight may go on after SIGTERM before its Git and HTTP calls are cancelled")
	fs.StringVar(&o.Listen, "listen", o.Listen, "address for /healthz, /readyz, /metrics and the push webhooks /hooks/github and /hooks/git (empty: none)")
	fs.StringVar(&o.UIURL, "ui-url", o.UIURL, "address of gitcanary's web UI, linked from the commit statuses set on the commits that trigger rollouts")
	fs.StringVar(&o.WebhookSecretFile, "webhook-secret-file", o.WebhookSecretFile, "file holding the push webhooks' secret (else $"+EnvWebhookSecret+"); without one they are not served")
	fs.StringVar(&o.Shard, "shard", o.Shard, "i/n: reconcile only the canaries of shard i of n")
	fs.StringVar(&o.SecretsDir, "secrets-dir", o.SecretsDir, "directory of the Secrets that MetricTemplates reference, mounted as <dir>/<namespace>/<name>/<key>")
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
