package forge_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/gitcanary/gitcanary/gitops/forge"
)

func TestBindFlags(t *testing.T) {
	t.Parallel()
	var o forge.Options
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	o.BindFlags(fs)
	if o.APIURL != forge.DefaultAPIURL {
		t.Errorf("default API URL = %q", o.APIURL)
	}
	err := fs.Parse([]string{"--github-api-url", "https://ghe.example.com/api/v3/",
		"--github-token-file", "/run/secrets/gh", "--github-repo", "acme/config"})
	if err != nil {
		t.Fatal(err)
	}
	want := forge.Options{APIURL: "https://ghe.example.com/api/v3/", TokenFile: "/run/secrets/gh", Repo: "acme/config"}
	if o != want {
		t.Errorf("options = %+v, want %+v", o, want)
	}
	if fs.Lookup("github-token") != nil {
		t.Error("a --github-token flag would put the token in the process list")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    forge.Options
		wantErr string
	}{
		{name: "defaults", opts: forge.Options{}},
		{name: "bad api url", opts: forge.Options{APIURL: "ftp://x"}, wantErr: "--github-api-url"},
		{name: "credentials in api url", opts: forge.Options{APIURL: "https://u:p@ghe.example.com/"}, wantErr: "credentials"},
		{name: "missing token file", opts: forge.Options{TokenFile: filepath.Join(t.TempDir(), "nope")}, wantErr: "--github-token-file"},
		{name: "bad repo", opts: forge.Options{Repo: "acme"}, wantErr: "--github-repo"},
		{name: "negative retry", opts: forge.Options{MaxAttempts: -1}, wantErr: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.opts.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tt.opts.APIURL != forge.DefaultAPIURL || tt.opts.MaxAttempts != forge.DefaultMaxAttempts ||
					tt.opts.MaxWait != forge.DefaultMaxWait || tt.opts.Backoff != forge.DefaultBackoff {
					t.Errorf("defaults not filled in: %+v", tt.opts)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewToken(t *testing.T) {
	// Not parallel: sets $GITHUB_TOKEN.
	t.Setenv(forge.EnvToken, "")
	_, err := forge.New(forge.Options{}, "https://github.com/acme/config", nil)
	if !errors.Is(err, forge.ErrNoToken) || !strings.Contains(err.Error(), "--github-token-file") {
		t.Fatalf("New without token = %v, want ErrNoToken naming the flag", err)
	}
	_, err = forge.New(forge.Options{TokenFile: writeToken(t, " \n")}, "https://github.com/acme/config", nil)
	if !errors.Is(err, forge.ErrNoToken) {
		t.Fatalf("New with empty token file = %v, want ErrNoToken", err)
	}

	t.Setenv(forge.EnvToken, testToken)
	gh, err := forge.New(forge.Options{}, "https://github.com/acme/config", nil)
	if err != nil {
		t.Fatal(err)
	}
	if gh.Repo() != "acme/config" {
		t.Errorf("Repo() = %q", gh.Repo())
	}
	gh, err = forge.New(forge.Options{Repo: "other/repo"}, "/local/path", nil)
	if err != nil || gh.Repo() != "other/repo" {
		t.Fatalf("--github-repo should win over the remote: %v %v", gh, err)
	}
	if _, err := forge.New(forge.Options{}, "/local/path", nil); err == nil || !strings.Contains(err.Error(), "--github-repo") {
		t.Fatalf("New from a local path = %v, want a hint to set --github-repo", err)
	}
}

// CI runners set $GITHUB_TOKEN whatever the remote: a remote that is no
// GitHub repository gives ErrNotGitHub, which a caller without GitHub gates
// ignores, and never a client for some other repository.
func TestNewNotGitHub(t *testing.T) {
	// Not parallel: sets $GITHUB_TOKEN.
	t.Setenv(forge.EnvToken, testToken)
	tests := []struct {
		name, remote, apiURL, repo string
		want                       string // "" for ErrNotGitHub
	}{
		{name: "local path", remote: "/srv/git/config.git"},
		{name: "file URL", remote: "file:///srv/git/config.git"},
		{name: "another host over https", remote: "https://gitlab.com/acme/config.git"},
		{name: "another host, scp-like", remote: "git@gitlab.com:acme/config.git"},
		{name: "another host, with credentials", remote: "https://oauth2:glpat-s3cret@gitlab.com/acme/config.git"},
		{name: "github.com", remote: "https://github.com/acme/config.git", want: "acme/config"},
		{name: "github.com over ssh on 443", remote: "ssh://git@ssh.github.com:443/acme/config.git", want: "acme/config"},
		{name: "enterprise", remote: "git@ghe.example.com:team/apps.git", apiURL: "https://ghe.example.com/api/v3/", want: "team/apps"},
		{name: "--github-repo wins", remote: "/srv/git/config.git", repo: "acme/config", want: "acme/config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh, err := forge.New(forge.Options{APIURL: tt.apiURL, Repo: tt.repo}, tt.remote, nil)
			if tt.want != "" {
				if err != nil || gh.Repo() != tt.want {
					t.Fatalf("New = %v, %v; want a client for %s", gh, err, tt.want)
				}
				return
			}
			if !errors.Is(err, forge.ErrNotGitHub) {
				t.Fatalf("New = %v, %v; want ErrNotGitHub", gh, err)
			}
			if !strings.Contains(err.Error(), "--github-repo") || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error does not say how to fix it, or leaks: %v", err)
			}
		})
	}

	// The remote is looked at before the token: no token, still ErrNotGitHub.
	t.Setenv(forge.EnvToken, "")
	if _, err := forge.New(forge.Options{}, "/srv/git/config.git", nil); !errors.Is(err, forge.ErrNotGitHub) {
		t.Fatalf("New without a token for a local remote = %v, want ErrNotGitHub", err)
	}
}
