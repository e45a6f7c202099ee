package reconciler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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

// FileReader reads a file of a repository tree (a *gitops.Snapshot, a
// *gitops.FS); a missing file is an error wrapping fs.ErrNotExist.
type FileReader interface {
	ReadFile(path string) ([]byte, error)
}

// RequestPath is the file holding a canary's queue of manual requests.
func RequestPath(c *api.Canary) string {
	return path.Join(componentDir(c), RequestFile)
}

// PendingRequests returns the canary's manual requests not honoured yet,
// oldest first (none when it has no request file). A pass honours the
// first one and commits PopRequest's change with its outcome.
func PendingRequests(t FileReader, c *api.Canary) ([]api.Request, error) {
	p := RequestPath(c)
	data, err := t.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return api.UnmarshalRequests(p, data)
}

// PopRequest returns the file change that removes the first of the pending
// requests once honoured: the request file holding the others, or nil (the
// file is deleted) when it was the last.
func PopRequest(c *api.Canary, pending []api.Request) (string, []byte, error) {
	if len(pending) == 0 {
		return "", nil, errors.New("no pending request to remove")
	}
	data, err := api.MarshalRequests(c, pending[1:])
	return RequestPath(c), data, err
}

// SubmitRequest queues a manual request (promote, abort, pause or resume)
// for the canary namespace/name and pushes it; passes honour the queue in
// order, one request each. The commit's author is the requester, so the
// audit log shows who asked. It returns the pushed commit and how many
// requests are pending with this one. A canary with [api.MaxRequests]
// pending refuses more ([api.ErrQueueFull]).
func SubmitRequest(ctx context.Context, repo *gitops.Repo, namespace, name, action string, by gitops.Signature, provider string, now time.Time) (plumbing.Hash, int, error) {
	if !slices.Contains(api.RequestActions, action) {
		return plumbing.ZeroHash, 0, fmt.Errorf("unknown action %q", action)
	}
	var queued int
	sha, err := repo.Update(ctx, by, now, func(snap *gitops.Snapshot) (map[string][]byte, string, error) {
		infos, _ := ListCanaries(snap, provider, now)
		info, err := FindCanary(infos, namespace, name)
		if err != nil {
			return nil, "", fmt.Errorf("%w on %s", err, repo.Branch())
		}
		c := info.Canary
		pending, err := PendingRequests(snap, c)
		if err != nil {
			return nil, "", err
		}
		who := fmt.Sprintf("%s <%s>", by.Name, by.Email)
		pending = append(pending, api.Request{Action: action, RequestedBy: who, RequestedAt: now})
		data, err := api.MarshalRequests(c, pending)
		if errors.Is(err, api.ErrQueueFull) {
			return nil, "", fmt.Errorf("%w: wait until gitcanary run has honoured the pending ones (%s)", err, RequestPath(c))
		}
		if err != nil {
			return nil, "", err
		}
		queued = len(pending)
		msg := gitops.FormatMessage(
			fmt.Sprintf("%s %s requested by %s", strings.ToUpper(action[:1])+action[1:], c.Key(), by.Name), nil,
			[]gitops.Trailer{{Key: TrailerCanary, Value: c.ID()}, {Key: TrailerRequest, Value: action}})
		return map[string][]byte{RequestPath(c): data}, msg, nil
	})
	return sha, queued, err
}

// ParseAuthor parses "Name <email>".
func ParseAuthor(s string) (gitops.Signature, error) {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name == "" {
		return gitops.Signature{}, fmt.Errorf("--author must be \"Name <email>\", got %q", s)
	}
	return gitops.Signature{Name: a.Name, Email: a.Address}, nil
}
