package reconciler

import (
	"context"
	"fmt"
	"net/mail"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// TrailerRequest marks a commit that requests a manual action.
const TrailerRequest = "Canary-Request"

// SubmitRequest commits a manual request (promote, abort, pause or resume)
// for the canary namespace/name and pushes it; the next pass honours it. The
// commit's author is the requester, so the audit log shows who asked. It
// returns the pushed commit.
func SubmitRequest(ctx context.Context, repo *gitops.Repo, namespace, name, action string, by gitops.Signature, provider string, now time.Time) (plumbing.Hash, error) {
	if !slices.Contains(api.RequestActions, action) {
		return plumbing.ZeroHash, fmt.Errorf("unknown action %q", action)
	}
	return repo.Update(ctx, by, now, func(snap *gitops.Snapshot) (map[string][]byte, string, error) {
		infos, _ := ListCanaries(snap, provider)
		var c *api.Canary
		for _, i := range infos {
			if i.Name == name && (namespace == "" || i.Namespace == namespace) {
				if c != nil {
					return nil, "", fmt.Errorf("canary %s exists in several namespaces: set -n", name)
				}
				c = i.Canary
			}
		}
		if c == nil {
			return nil, "", fmt.Errorf("canary %s not found on %s", name, repo.Branch())
		}
		who := fmt.Sprintf("%s <%s>", by.Name, by.Email)
		data, err := api.MarshalRequest(c, api.Request{Action: action, RequestedBy: who, RequestedAt: now})
		if err != nil {
			return nil, "", err
		}
		msg := gitops.FormatMessage(
			fmt.Sprintf("%s %s requested by %s", strings.ToUpper(action[:1])+action[1:], c.Key(), by.Name), nil,
			[]gitops.Trailer{{Key: TrailerCanary, Value: c.ID()}, {Key: TrailerRequest, Value: action}})
		return map[string][]byte{path.Join(componentDir(c), RequestFile): data}, msg, nil
	})
}

// ParseAuthor parses "Name <email>".
func ParseAuthor(s string) (gitops.Signature, error) {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name == "" {
		return gitops.Signature{}, fmt.Errorf("--author must be \"Name <email>\", got %q", s)
	}
	return gitops.Signature{Name: a.Name, Email: a.Address}, nil
}
