package gitops

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
)

// Environment variables read for an HTTPS token when no token file is set,
// in this order.
const (
	EnvToken       = "GITCANARY_GIT_TOKEN"
	EnvGitHubToken = "GITHUB_TOKEN"
)

// Signature identifies the author (and committer) of gitcanary's commits.
type Signature struct {
	Name  string
	Email string
}

// DefaultTimeout bounds each fetch and push when [RepoOptions].Timeout is
// zero, as Flux's GitRepository timeout does.
const DefaultTimeout = time.Minute

// DefaultAuthor is the author used when none is configured.
var DefaultAuthor = Signature{Name: "gitcanary", Email: "gitcanary@users.noreply.local"}

// RepoOptions configures the clone of the config repository.
type RepoOptions struct {
	// URL of the remote: a path, file://, https://, ssh:// or scp-like
	// (git@host:org/repo.git).
	URL string
	// Branch to fetch and push.
	Branch string
	// Workdir holds the bare clone and is locked while in use. Empty means a
	// private temporary directory removed by [Repo.Close].
	Workdir string
	// Auth holds the credentials.
	Auth AuthOptions
	// Author of the commits.
	Author Signature
	// Signing selects an OpenPGP key to sign commits with.
	Signing SigningOptions
	// Signer, when set, signs commits and takes precedence over Signing.
	Signer Signer
	// Render restricts and bounds the renders of this repository's
	// snapshots ([Render]).
	Render RenderOptions
	// Log receives what the repository does by itself, such as cloning
	// again over a damaged workdir; the zero value discards it.
	Log logr.Logger
	// Timeout bounds each fetch and each push, from the connection to the
	// last byte (default [DefaultTimeout]). A remote that accepts the
	// connection and never answers fails the call with [ErrTimeout].
	Timeout time.Duration
}

// AuthOptions holds the credentials for the remote. Tokens are never taken
// from a flag value: they come from TokenFile or the environment.
type AuthOptions struct {
	// TokenFile holds an HTTPS token; if empty, GITCANARY_GIT_TOKEN and then
	// GITHUB_TOKEN are used, unless the URL carries credentials itself.
	TokenFile string
	// Username sent with the token (default "git") or used for SSH when the
	// URL has none.
	Username string
	// SSHKeyFile is a private key (without passphrase) for SSH remotes; if
	// empty the SSH agent is used.
	SSHKeyFile string
	// KnownHostsFile verifies SSH host keys; if empty, SSH_KNOWN_HOSTS or
	// ~/.ssh/known_hosts is used.
	KnownHostsFile string
	// InsecureIgnoreHostKey disables SSH host key checking.
	InsecureIgnoreHostKey bool
}

// BindFlags registers the repository flags on fs.
func (o *RepoOptions) BindFlags(fs *pflag.FlagSet) {
	if o.Branch == "" {
		o.Branch = "main"
	}
	if o.Author == (Signature{}) {
		o.Author = DefaultAuthor
	}
	fs.StringVar(&o.URL, "repo", o.URL, "URL or path of the config repository")
	fs.StringVar(&o.Branch, "branch", o.Branch, "branch to reconcile")
	fs.StringVar(&o.Workdir, "workdir", o.Workdir, "directory for the bare clone (locked while in use; default: a private temporary directory)")
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	fs.DurationVar(&o.Timeout, "git-timeout", o.Timeout, "bound on each git fetch and push")
	fs.StringVar(&o.Author.Name, "git-author-name", o.Author.Name, "author name of gitcanary's commits")
	fs.StringVar(&o.Author.Email, "git-author-email", o.Author.Email, "author email of gitcanary's commits")
	o.Auth.BindFlags(fs)
	o.Signing.BindFlags(fs)
}

// BindFlags registers the authentication flags on fs.
func (o *AuthOptions) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Username, "git-username", o.Username, "username for HTTPS token auth (default \"git\") or SSH")
	fs.StringVar(&o.TokenFile, "git-token-file", o.TokenFile, "file holding the HTTPS token (default: $"+EnvToken+" or $"+EnvGitHubToken+")")
	fs.StringVar(&o.SSHKeyFile, "ssh-key-file", o.SSHKeyFile, "SSH private key file (default: SSH agent)")
	fs.StringVar(&o.KnownHostsFile, "ssh-known-hosts", o.KnownHostsFile, "SSH known_hosts file (default: $SSH_KNOWN_HOSTS or ~/.ssh/known_hosts)")
	fs.BoolVar(&o.InsecureIgnoreHostKey, "ssh-insecure-ignore-host-key", o.InsecureIgnoreHostKey, "do not verify SSH host keys (insecure)")
}

// Validate checks the options and fills in defaults.
func (o *RepoOptions) Validate() error {
	var errs []error
	if o.URL == "" {
		errs = append(errs, errors.New("repository URL is required (--repo)"))
	}
	if o.Branch == "" {
		o.Branch = "main"
	}
	if err := plumbing.NewBranchReferenceName(o.Branch).Validate(); err != nil || strings.HasPrefix(o.Branch, "refs/") {
		errs = append(errs, fmt.Errorf("invalid branch name %q", o.Branch))
	}
	if o.Author.Name == "" && o.Author.Email == "" {
		o.Author = DefaultAuthor
	}
	switch {
	case o.Timeout == 0:
		o.Timeout = DefaultTimeout
	case o.Timeout < 0:
		errs = append(errs, fmt.Errorf("--git-timeout must be positive, got %s", o.Timeout))
	}
	if o.Author.Name == "" || o.Author.Email == "" {
		errs = append(errs, errors.New("commit author needs both a name and an email"))
	}
	if err := o.Auth.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := o.Render.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Validate checks that the files named by the options exist.
func (o *AuthOptions) Validate() error {
	var errs []error
	for _, f := range []struct{ flag, file string }{
		{"--git-token-file", o.TokenFile},
		{"--ssh-key-file", o.SSHKeyFile},
		{"--ssh-known-hosts", o.KnownHostsFile},
	} {
		if f.file == "" {
			continue
		}
		if _, err := os.Stat(f.file); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.flag, err))
		}
	}
	if o.InsecureIgnoreHostKey && o.KnownHostsFile != "" {
		errs = append(errs, errors.New("--ssh-known-hosts and --ssh-insecure-ignore-host-key exclude each other"))
	}
	return errors.Join(errs...)
}
