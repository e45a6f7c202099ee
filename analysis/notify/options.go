package notify

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"

	"github.com/gitcanary/gitcanary/analysis/webhooks"
)

// Environment variables holding secrets of the global provider. Secrets
// are never taken from flags.
const (
	// EnvAlertAddress is the global provider's webhook URL, unless
	// --alert-address-file is set.
	EnvAlertAddress = "GITCANARY_ALERT_ADDRESS"
	// EnvAlertToken is the global provider's bearer token (a Slack bot
	// token), unless --alert-token-file is set.
	EnvAlertToken = "GITCANARY_ALERT_TOKEN"
	// EnvEventWebhook is the URL receiving every event of canaries without
	// hooks of type event (Flagger's -event-webhook).
	EnvEventWebhook = "GITCANARY_EVENT_WEBHOOK"
)

// Options configure notifications for `gitcanary run`.
type Options struct {
	// CredentialsDir holds the Secrets AlertProviders reference, mounted
	// as <dir>/<namespace>/<name>/<key>.
	CredentialsDir string
	// Provider is the type of the global provider, used by canaries
	// without analysis.alerts; empty for none.
	Provider string
	// Channel and Username of the global provider.
	Channel  string
	Username string
	// Proxy is the global provider's http or https proxy; a proxy needing
	// credentials is better set through HTTPS_PROXY.
	Proxy string
	// AddressFile and TokenFile hold the global provider's address and
	// token; when empty, EnvAlertAddress and EnvAlertToken are read.
	AddressFile string
	TokenFile   string
	// EventsAddr is Flux notification-controller's events endpoint, as the
	// --events-addr flag of Flux controllers; empty for none.
	EventsAddr string
	// ClusterName adds a Cluster field to alerts.
	ClusterName string
	// Timeout bounds each delivery.
	Timeout time.Duration
}

// DefaultOptions returns the options' defaults.
func DefaultOptions() Options {
	return Options{Timeout: DefaultTimeout}
}

// BindFlags binds the options to flags.
func (o *Options) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.CredentialsDir, "alert-credentials-dir", o.CredentialsDir, "directory of the Secrets that AlertProviders reference, mounted as <dir>/<namespace>/<name>/<key>")
	fs.StringVar(&o.Provider, "alert-provider", o.Provider, "global alert provider for canaries without analysis.alerts: "+strings.Join(ProviderTypes, ", ")+" (address from $"+EnvAlertAddress+" or --alert-address-file)")
	fs.StringVar(&o.Channel, "alert-channel", o.Channel, "channel of the global alert provider (default "+DefaultChannel+")")
	fs.StringVar(&o.Username, "alert-username", o.Username, "bot name of the global alert provider (default "+DefaultUsername+")")
	fs.StringVar(&o.Proxy, "alert-proxy", o.Proxy, "http/https proxy of the global alert provider")
	fs.StringVar(&o.AddressFile, "alert-address-file", o.AddressFile, "file holding the global alert provider's webhook URL (default: $"+EnvAlertAddress+")")
	fs.StringVar(&o.TokenFile, "alert-token-file", o.TokenFile, "file holding the global alert provider's token (default: $"+EnvAlertToken+")")
	fs.StringVar(&o.EventsAddr, "events-addr", o.EventsAddr, "Flux notification-controller events endpoint, e.g. http://notification-controller.flux-system.svc.cluster.local./")
	fs.StringVar(&o.ClusterName, "cluster-name", o.ClusterName, "cluster name shown in alerts")
	fs.DurationVar(&o.Timeout, "alert-timeout", o.Timeout, "timeout of each alert, event and event webhook delivery")
}

// Validate checks the options.
func (o *Options) Validate() error {
	var errs []error
	if o.Provider != "" && !slices.Contains(ProviderTypes, o.Provider) {
		errs = append(errs, fmt.Errorf("--alert-provider must be one of %s, got %q", strings.Join(ProviderTypes, ", "), o.Provider))
	}
	if o.Proxy != "" {
		if _, err := httpClient(Config{Proxy: o.Proxy}); err != nil {
			errs = append(errs, fmt.Errorf("--alert-proxy: %w", err))
		}
	}
	if o.EventsAddr != "" {
		if err := checkAddress(o.EventsAddr); err != nil {
			errs = append(errs, fmt.Errorf("--events-addr %q: %w", o.EventsAddr, err))
		}
	}
	if o.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--alert-timeout must be positive, got %s", o.Timeout))
	}
	return errors.Join(errs...)
}

// NewDispatcher wires a Dispatcher from the options: the global provider
// (its address and token read from the files or the environment through
// getenv), the credentials directory, the Flux events recorder and the
// event webhooks of hooks (whose WithEventWebhook should be
// $GITCANARY_EVENT_WEBHOOK). A nil getenv is os.Getenv; a nil hooks sends
// no event webhooks.
func (o *Options) NewDispatcher(log logr.Logger, getenv func(string) string, hooks *webhooks.Caller) (*Dispatcher, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	opts := []DispatcherOption{WithTimeout(o.Timeout), WithClusterName(o.ClusterName)}
	if o.CredentialsDir != "" {
		opts = append(opts, WithSecrets(SecretDir(o.CredentialsDir)))
	}
	if o.Provider != "" {
		addr, err := secretValue(o.AddressFile, getenv(EnvAlertAddress), "--alert-address-file")
		if err != nil {
			return nil, err
		}
		if addr == "" {
			return nil, fmt.Errorf("--alert-provider %s needs an address: set $%s or --alert-address-file", o.Provider, EnvAlertAddress)
		}
		tok, err := secretValue(o.TokenFile, getenv(EnvAlertToken), "--alert-token-file")
		if err != nil {
			return nil, err
		}
		n, err := NewNotifier(Config{Type: o.Provider, Address: addr, Token: tok, Channel: o.Channel, Username: o.Username, Proxy: o.Proxy})
		if err != nil {
			return nil, fmt.Errorf("--alert-provider: %w", err)
		}
		opts = append(opts, WithGlobal("global "+o.Provider, n))
	}
	if o.EventsAddr != "" {
		fe, err := NewFluxEvents(o.EventsAddr)
		if err != nil {
			return nil, err
		}
		opts = append(opts, WithRecorder("flux events", fe))
	}
	if hooks != nil {
		opts = append(opts, WithRecorder("event webhooks", EventHooks{Caller: hooks}))
	}
	return NewDispatcher(log, opts...), nil
}

// secretValue reads file when set, else returns env. Errors name the file,
// not its content.
func secretValue(file, env, flag string) (string, error) {
	if file == "" {
		return strings.TrimSpace(env), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	return strings.TrimSpace(string(b)), nil
}
