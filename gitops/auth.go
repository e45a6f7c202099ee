package gitops

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
)

// credentials is the resolved authentication for one remote.
type credentials struct {
	method transport.AuthMethod
	// ssh is set for SSH remotes, whose dial gitops binds to each call.
	ssh bool
	// knownHosts names where SSH host keys are looked up, for messages.
	knownHosts string
	// secrets lists pairs of (secret, replacement) to scrub from errors.
	secrets []string
}

// token returns the HTTPS token for host from the token file or the
// environment. $GITHUB_TOKEN, which CI runners set for their own GitHub
// repository, is only sent to github.com: it must not leak to another host.
func (o AuthOptions) token(host string) (string, error) {
	if o.TokenFile != "" {
		b, err := os.ReadFile(o.TokenFile)
		if err != nil {
			return "", fmt.Errorf("read token file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if t := os.Getenv(EnvToken); t != "" {
		return t, nil
	}
	if strings.EqualFold(host, "github.com") {
		return os.Getenv(EnvGitHubToken), nil
	}
	return "", nil
}

// resolveAuth builds the go-git auth method for rawURL. Credentials in the
// URL become the auth method too, so that the clone's config only ever
// holds [publicURL] and no secret is written to disk.
func resolveAuth(rawURL string, o AuthOptions) (*credentials, error) {
	ep, err := transport.NewEndpoint(rawURL)
	if err != nil {
		if userinfo(rawURL) != "" {
			// The parser quotes pieces of the URL, which may be pieces of
			// the password: say what is wrong without them.
			return nil, fmt.Errorf("parse repository URL %s: not a valid URL (details withheld: it carries credentials)", SanitizeURL(rawURL))
		}
		return nil, fmt.Errorf("parse repository URL %s: %w", rawURL, err)
	}
	c := &credentials{secrets: []string{rawURL, SanitizeURL(rawURL)}}
	if ep.Password != "" {
		c.secrets = append(c.secrets, ep.Password, "***")
	}
	switch ep.Protocol {
	case "http", "https":
		if ep.Password == "" && len(ep.User) >= 20 {
			c.secrets = append(c.secrets, ep.User, "***") // a token sent as the user name
		}
		if o.TokenFile == "" && ep.User != "" {
			// Credentials in the URL win over the environment.
			c.method = &githttp.BasicAuth{Username: ep.User, Password: ep.Password}
			return c, nil
		}
		tok, err := o.token(ep.Host)
		if err != nil {
			return nil, err
		}
		if tok == "" {
			return c, nil
		}
		user := o.Username
		if user == "" {
			user = "git"
		}
		c.method = &githttp.BasicAuth{Username: user, Password: tok}
		c.secrets = append(c.secrets, tok, "***")
	case "ssh":
		c.ssh = true
		c.knownHosts = "$SSH_KNOWN_HOSTS or ~/.ssh/known_hosts"
		if o.KnownHostsFile != "" {
			c.knownHosts = o.KnownHostsFile
		}
		user := ep.User
		if user == "" {
			user = o.Username
		}
		if user == "" {
			user = "git"
		}
		var pk *gitssh.PublicKeys
		var agent *gitssh.PublicKeysCallback
		var helper *gitssh.HostKeyCallbackHelper
		if o.SSHKeyFile != "" {
			pk, err = gitssh.NewPublicKeysFromFile(user, o.SSHKeyFile, "")
			if err != nil {
				return nil, fmt.Errorf("read ssh key %s: %w", o.SSHKeyFile, err)
			}
			helper, c.method = &pk.HostKeyCallbackHelper, pk
		} else {
			agent, err = gitssh.NewSSHAgentAuth(user)
			if err != nil {
				return nil, fmt.Errorf("ssh agent: %w (set --ssh-key-file)", err)
			}
			helper, c.method = &agent.HostKeyCallbackHelper, agent
		}
		if err := setHostKeyCheck(helper, ep, o); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// explain adds to an SSH host key error what to do about it.
func (c *credentials) explain(err error) error {
	if err == nil || !c.ssh {
		return err
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "knownhosts: key is unknown"):
		return fmt.Errorf("%w (the server's host key is not in %s: add it, e.g. from ssh-keyscan checked against your Git host's published fingerprints, or set --ssh-known-hosts)", err, c.knownHosts)
	case strings.Contains(msg, "knownhosts: key mismatch"):
		return fmt.Errorf("%w (the server's host key differs from the one in %s: the server changed its key, or someone is in the middle)", err, c.knownHosts)
	case strings.Contains(msg, "unable to find any valid known_hosts file"):
		return fmt.Errorf("%w, or --ssh-known-hosts", err)
	}
	return err
}

// setHostKeyCheck configures host key verification. go-git only picks host
// key algorithms matching known_hosts when it builds the callback itself, so
// for an explicit file we do the same: otherwise a host with several keys
// fails with "key mismatch".
func setHostKeyCheck(h *gitssh.HostKeyCallbackHelper, ep *transport.Endpoint, o AuthOptions) error {
	switch {
	case o.InsecureIgnoreHostKey:
		h.HostKeyCallback = ssh.InsecureIgnoreHostKey()
	case o.KnownHostsFile != "":
		db, err := gitssh.NewKnownHostsDb(o.KnownHostsFile)
		if err != nil {
			return fmt.Errorf("read known hosts %s: %w", o.KnownHostsFile, err)
		}
		port := ep.Port
		if port == 0 {
			port = 22
		}
		h.HostKeyCallback = db.HostKeyCallback()
		h.HostKeyAlgorithms = db.HostKeyAlgorithms(net.JoinHostPort(ep.Host, fmt.Sprint(port)))
	}
	return nil
}

// SanitizeURL returns rawURL without credentials, fit for logs and errors.
// For http(s) any user info is replaced (a token is often sent as the user
// name); for other schemes only the password is dropped. A string that does
// not parse as a URL loses everything between "://" and its last "@".
func SanitizeURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		if info := userinfo(rawURL); info != "" {
			return strings.Replace(rawURL, info+"@", "redacted@", 1)
		}
		return rawURL
	}
	if u.User == nil || u.Host == "" {
		return rawURL
	}
	switch u.Scheme {
	case "http", "https":
		u.User = url.User("redacted")
	default:
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// publicURL returns rawURL as the clone's config keeps it: for http(s)
// without user info, for other schemes without the password. Credentials
// live in memory only, in the auth method.
func publicURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil || u.Host == "" {
		return rawURL
	}
	switch u.Scheme {
	case "http", "https":
		u.User = nil
	default:
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// userinfo returns the user info of a URL-like string, as written, or "".
// In a URL that parses it ends the authority; in one that does not, where a
// password may hold anything, it runs to the last "@".
func userinfo(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ""
	}
	if _, err := url.Parse(raw); err == nil {
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			rest = rest[:i]
		}
	}
	if i := strings.LastIndex(rest, "@"); i > 0 {
		return rest[:i]
	}
	return ""
}
