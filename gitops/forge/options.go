package forge

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// EnvToken is the environment variable read for the GitHub token when no
// token file is set.
const EnvToken = "GITHUB_TOKEN"

// DefaultAPIURL is the GitHub.com REST API.
const DefaultAPIURL = "https://api.github.com/"

// Defaults for the retry knobs of [Options].
const (
	DefaultMaxAttempts    = 4
	DefaultBackoff        = time.Second
	DefaultMaxWait        = time.Minute
	DefaultRequestTimeout = 30 * time.Second
)

// Options configures the GitHub client. The token is never a flag value: it
// is read from TokenFile or from $GITHUB_TOKEN.
type Options struct {
	// APIURL is the REST API root: https://api.github.com/ (the default) or
	// https://HOST/api/v3/ for GitHub Enterprise Server.
	APIURL string
	// TokenFile holds the token; if empty, $GITHUB_TOKEN is used.
	TokenFile string
	// Repo is "owner/name". If empty it is derived from the remote URL of
	// the config repository.
	Repo string

	// The knobs below are not bound to flags; zero means the default.

	// MaxAttempts bounds the attempts per request (default 4).
	MaxAttempts int
	// Backoff is the first wait between attempts; it doubles each time
	// (default 1s).
	Backoff time.Duration
	// MaxWait caps any single wait, including the one GitHub asks for with
	// Retry-After or X-RateLimit-Reset; a longer one fails at once with
	// [ErrRateLimited] (default 1m).
	MaxWait time.Duration
	// RequestTimeout bounds each attempt (default 30s).
	RequestTimeout time.Duration
}

// BindFlags registers the GitHub flags on fs.
func (o *Options) BindFlags(fs *pflag.FlagSet) {
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	fs.StringVar(&o.APIURL, "github-api-url", o.APIURL, "GitHub REST API URL (GitHub Enterprise: https://HOST/api/v3/)")
	fs.StringVar(&o.TokenFile, "github-token-file", o.TokenFile, "file holding the GitHub token (default: $"+EnvToken+")")
	fs.StringVar(&o.Repo, "github-repo", o.Repo, "GitHub repository owner/name (default: derived from --repo)")
}

// Validate checks the options and fills in defaults.
func (o *Options) Validate() error {
	var errs []error
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	if u, err := url.Parse(o.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("--github-api-url: %q is not an http(s) URL", o.APIURL))
	} else if u.User != nil {
		errs = append(errs, errors.New("--github-api-url must not carry credentials; use --github-token-file"))
	}
	if o.TokenFile != "" {
		if _, err := os.Stat(o.TokenFile); err != nil {
			errs = append(errs, fmt.Errorf("--github-token-file: %w", err))
		}
	}
	if o.Repo != "" {
		if _, _, err := splitRepo(o.Repo); err != nil {
			errs = append(errs, fmt.Errorf("--github-repo: %w", err))
		}
	}
	if o.MaxAttempts < 0 || o.Backoff < 0 || o.MaxWait < 0 || o.RequestTimeout < 0 {
		errs = append(errs, errors.New("github retry settings must not be negative"))
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Backoff == 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxWait == 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	return errors.Join(errs...)
}

// token reads the token from the token file or the environment.
func (o *Options) token() (string, error) {
	if o.TokenFile != "" {
		b, err := os.ReadFile(o.TokenFile)
		if err != nil {
			return "", fmt.Errorf("read github token file: %w", err)
		}
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, nil
		}
		return "", fmt.Errorf("%w: %s is empty", ErrNoToken, o.TokenFile)
	}
	if t := strings.TrimSpace(os.Getenv(EnvToken)); t != "" {
		return t, nil
	}
	return "", fmt.Errorf("%w: set --github-token-file or $%s", ErrNoToken, EnvToken)
}
