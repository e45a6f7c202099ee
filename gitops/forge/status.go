package forge

import (
	"context"

	"github.com/google/go-github/v60/github"
)

// maxDescription is the longest commit status description GitHub accepts.
const maxDescription = 140

// SetCommitStatus sets the commit status statusContext on sha: state pending,
// success, failure or error, a description (cut to GitHub's 140
// characters) and, when not empty, a link.
func (g *GitHub) SetCommitStatus(ctx context.Context, sha, state, statusContext, description, targetURL string) error {
	if r := []rune(description); len(r) > maxDescription {
		description = string(r[:maxDescription-1]) + "…"
	}
	st := &github.RepoStatus{State: &state, Context: &statusContext, Description: &description}
	if targetURL != "" {
		st.TargetURL = &targetURL
	}
	return g.do(ctx, "set status "+statusContext+" on "+shortSHA(sha), func(ctx context.Context) error {
		_, _, err := g.client.Repositories.CreateStatus(ctx, g.owner, g.name, sha, st)
		return err
	})
}
