package ui

import "testing"

func TestLinks(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct{ forge, remote, commit, pull string }{
		{"", "https://github.com/acme/config.git", "https://github.com/acme/config/commit/" + sha, "https://github.com/acme/config/pull/7"},
		{"", "https://x-access-token:ghp_secret@github.com/acme/config", "https://github.com/acme/config/commit/" + sha, "https://github.com/acme/config/pull/7"},
		{"", "git@github.com:acme/config.git", "https://github.com/acme/config/commit/" + sha, "https://github.com/acme/config/pull/7"},
		{"", "ssh://git@github.com/acme/config.git", "https://github.com/acme/config/commit/" + sha, "https://github.com/acme/config/pull/7"},
		{"", "https://gitlab.com/acme/config.git", "", ""},
		{"", "https://github.com/acme/config/extra.git", "", ""},
		{"", "/srv/git/config.git", "", ""},
		{"https://ghe.example.com/acme/config/", "git@ghe.example.com:acme/config.git", "https://ghe.example.com/acme/config/commit/" + sha, "https://ghe.example.com/acme/config/pull/7"},
	}
	for _, tt := range tests {
		l := newLinks(tt.forge, tt.remote)
		if got := l.commit(sha); got != tt.commit {
			t.Errorf("%s %s: commit link %q, want %q", tt.forge, tt.remote, got, tt.commit)
		}
		if got := l.pullRequest(7); got != tt.pull {
			t.Errorf("%s %s: pull request link %q, want %q", tt.forge, tt.remote, got, tt.pull)
		}
	}
}
