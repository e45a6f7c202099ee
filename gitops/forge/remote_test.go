package forge_test

import (
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/gitops/forge"
)

func TestRepoFromRemote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		url     string
		want    string
		wantErr string
	}{
		{name: "https", url: "https://github.com/acme/config", want: "acme/config"},
		{name: "https .git", url: "https://github.com/acme/config.git", want: "acme/config"},
		{name: "https trailing slash", url: "https://github.com/acme/config/", want: "acme/config"},
		{name: "https with token", url: "https://x-access-token:ghp_secret@github.com/acme/config.git", want: "acme/config"},
		{name: "enterprise http", url: "http://ghe.example.com/team/apps.git", want: "team/apps"},
		{name: "scp-like", url: "git@github.com:acme/config.git", want: "acme/config"},
		{name: "scp-like no user", url: "github.com:acme/config", want: "acme/config"},
		{name: "ssh", url: "ssh://git@github.com/acme/config", want: "acme/config"},
		{name: "ssh port", url: "ssh://git@ghe.example.com:2222/acme/config.git", want: "acme/config"},
		{name: "dotted name", url: "https://github.com/acme/config.d.git", want: "acme/config.d"},
		{name: "local path", url: "/srv/git/config.git", wantErr: "local path"},
		{name: "relative path", url: "config", wantErr: "local path"},
		{name: "file url", url: "file:///srv/git/config.git", wantErr: "file URL"},
		{name: "too deep", url: "https://github.com/acme/config/tree/main", wantErr: "not owner/name"},
		{name: "too shallow", url: "https://github.com/acme", wantErr: "not owner/name"},
		{name: "empty", url: "", wantErr: "no remote URL"},
		{name: "secret not echoed", url: "https://user:ghp_secret@github.com/acme", wantErr: "github.com/acme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := forge.RepoFromRemote(tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("RepoFromRemote(%q) = %q, %v; want error containing %q", tt.url, got, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "ghp_secret") {
					t.Errorf("error leaks the credentials: %v", err)
				}
				if !strings.Contains(err.Error(), "--github-repo") {
					t.Errorf("error does not say how to fix it: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("RepoFromRemote(%q) = %q, %v; want %q", tt.url, got, err, tt.want)
			}
		})
	}
}
