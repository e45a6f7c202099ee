package ui

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Environment variables holding the UI's credentials when no file is set.
const (
	EnvPassword = "GITCANARY_UI_PASSWORD"
	EnvToken    = "GITCANARY_UI_TOKEN"
)

// Options configure the UI.
type Options struct {
	// Provider is the mesh provider of canaries that do not set
	// spec.provider.
	Provider string
	// Refresh is how often the repository is fetched for a new head.
	Refresh time.Duration
	// ForgeURL is the web address of the repository on its forge
	// (https://github.com/org/repo), to link commits and pull requests;
	// default: derived from a GitHub remote URL.
	ForgeURL string
	// Auth guards the pages; no credentials configured: open.
	Auth AuthOptions
}

// AuthOptions are the UI's credentials: basic auth (a username with a
// password) and/or a bearer token. Secrets come from files or the
// environment, never from a flag value.
type AuthOptions struct {
	Username string
	// PasswordFile holds the basic-auth password (default: $GITCANARY_UI_PASSWORD).
	PasswordFile string
	// TokenFile holds the bearer token (default: $GITCANARY_UI_TOKEN).
	TokenFile string
}

// DefaultOptions returns the UI's defaults.
func DefaultOptions() Options {
	return Options{Provider: "istio", Refresh: 2 * time.Second}
}

// BindFlags registers the UI's flags (but --provider, which the read
// commands bind) on fs.
func (o *Options) BindFlags(fs *pflag.FlagSet) {
	fs.DurationVar(&o.Refresh, "refresh", o.Refresh, "how often to fetch the repository for new commits")
	fs.StringVar(&o.ForgeURL, "forge-url", o.ForgeURL, "web address of the repository, to link commits (default: from a GitHub remote URL)")
	o.Auth.BindFlags(fs)
}

// BindFlags registers the credential flags on fs.
func (o *AuthOptions) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Username, "ui-username", o.Username, "require basic auth with this username (password from --ui-password-file or $"+EnvPassword+")")
	fs.StringVar(&o.PasswordFile, "ui-password-file", o.PasswordFile, "file holding the UI's basic-auth password")
	fs.StringVar(&o.TokenFile, "ui-token-file", o.TokenFile, "file holding a bearer token the UI accepts (default: $"+EnvToken+")")
}

// Validate checks the options.
func (o *Options) Validate() error {
	var errs []error
	if o.Refresh < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("--refresh must be at least 100ms, got %s", o.Refresh))
	}
	if o.ForgeURL != "" {
		if u, err := url.Parse(o.ForgeURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--forge-url must be an http(s) address, got %q", o.ForgeURL))
		}
	}
	if _, err := o.Auth.credentials(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// credentials reads the configured secrets.
func (o AuthOptions) credentials() (credentials, error) {
	var c credentials
	var err error
	if c.password, err = secret(o.PasswordFile, EnvPassword, "--ui-password-file"); err != nil {
		return c, err
	}
	if c.token, err = secret(o.TokenFile, EnvToken, "--ui-token-file"); err != nil {
		return c, err
	}
	switch {
	case o.Username != "" && c.password == "":
		return c, fmt.Errorf("--ui-username needs a password: set --ui-password-file or $%s", EnvPassword)
	case o.Username == "" && o.PasswordFile != "":
		return c, errors.New("--ui-password-file needs --ui-username")
	case o.Username == "":
		c.password = "" // a password in the environment alone enables nothing
	}
	c.username = o.Username
	return c, nil
}

// secret reads a secret from file, else from the environment variable env.
func secret(file, env, flag string) (string, error) {
	if file == "" {
		return strings.TrimSpace(os.Getenv(env)), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s: %s is empty", flag, file)
	}
	return s, nil
}
