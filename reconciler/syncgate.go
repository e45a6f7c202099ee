package reconciler

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/gitops/forge"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/machine"
)

// Forge is what gitcanary needs of the Git host (GitHub): commit statuses
// for the sync gate and pull requests for approvals.
type Forge interface {
	CommitChecks(ctx context.Context, sha, contextPrefix string) (forge.CheckState, error)
	EnsurePullRequest(ctx context.Context, head, base, title, body string) (forge.PR, error)
	GetPullRequest(ctx context.Context, number int) (forge.PR, error)
	FindPullRequests(ctx context.Context, headPrefix string) ([]forge.PR, error)
	ClosePullRequest(ctx context.Context, number int, comment string) error
	Merge(ctx context.Context, number int, method string) (string, error)
	SetCommitStatus(ctx context.Context, sha, state, context, description, targetURL string) error
}

// Option configures a Reconciler.
type Option func(*Reconciler)

// WithForge sets the Git host client used by sync gates of type
// commitStatus and by pull-request approvals.
func WithForge(f Forge) Option { return func(r *Reconciler) { r.forge = f } }

// withoutForge records why there is no Git host client, for the errors of
// canaries that need one.
func withoutForge(why error) Option { return func(r *Reconciler) { r.noForge = why } }

// needForge is the error of a canary whose gate needs GitHub when there is
// no client.
func (r *Reconciler) needForge(c *api.Canary, field, what string) error {
	if r.noForge != nil {
		return fmt.Errorf("%s: %s: %s needs GitHub access: %v", c.Source, field, what, r.noForge)
	}
	return fmt.Errorf("%s: %s: %s needs GitHub access: set --github-token-file or GITHUB_TOKEN", c.Source, field, what)
}

// WithMetrics sets where the pass records Flagger's and gitcanary's series.
func WithMetrics(m *Metrics) Option { return func(r *Reconciler) { r.metrics = m } }

// WithProviderCheck sets how a canary's metric providers are checked when
// it is initialized (default: not checked).
func WithProviderCheck(f ProviderCheckFunc) Option { return func(r *Reconciler) { r.providers = f } }

// WithQuerier sets the Prometheus querier used by sync gates of type
// prometheus.
func WithQuerier(q analysis.Querier) Option { return func(r *Reconciler) { r.querier = q } }

// maxGateLog bounds the history walked to find a canary's last commit.
const maxGateLog = 1000

// revisionsVar is the sync-gate query's variable for the commits that
// hold the canary's last commit: the revisions whose apply opens the gate.
var revisionsVar = regexp.MustCompile(`\{\{\s*revisions\s*\}\}`)

// commitsSince returns the SHAs of the first-parent commits from head back
// to since, both included: the heads the GitOps agent may have applied
// that hold the canary's last commit, for `{{ revisions }}` in a gate's
// query (e.g. revision=~"main@sha1:({{ revisions }})" on Flux's
// gotk_resource_info).
func (r *Reconciler) commitsSince(ctx context.Context, head, since plumbing.Hash) []string {
	var out []string
	_ = r.repo.Log(ctx, head, func(c *object.Commit) error {
		out = append(out, c.Hash.String())
		if c.Hash == since || len(out) >= maxGateLog {
			return gitops.ErrStopLog
		}
		return nil
	})
	return out
}

// lastCommitOf returns the newest commit, from head back, that is a
// transition of canary id; head when none is found nearby.
func (r *Reconciler) lastCommitOf(ctx context.Context, head plumbing.Hash, id string) plumbing.Hash {
	found, n := head, 0
	_ = r.repo.Log(ctx, head, func(c *object.Commit) error {
		if n++; n > maxGateLog {
			return gitops.ErrStopLog
		}
		if strings.Contains(c.Message, TrailerCanary+": "+id+"\n") || strings.HasSuffix(c.Message, TrailerCanary+": "+id) {
			found = c.Hash
			return gitops.ErrStopLog
		}
		return nil
	})
	return found
}

// syncGate asks the canary's sync gate whether the cluster has applied the
// canary's last commit. Errors reaching GitHub or Prometheus leave the gate
// closed (the timeout then counts); a missing configuration is an error.
func (r *Reconciler) syncGate(ctx context.Context, c *api.Canary, st api.Status, head plumbing.Hash, now time.Time) (machine.Gate, error) {
	g := c.Spec.GitOps.SyncGate
	sha := r.lastCommitOf(ctx, head, c.ID())
	switch g.Type {
	case "commitStatus":
		if r.forge == nil {
			return machine.Gate{}, r.needForge(c, "spec.gitops.syncGate", "type commitStatus")
		}
		cs, err := r.forge.CommitChecks(ctx, sha.String(), g.Context)
		if err == nil && sha != head && cs.State != forge.CheckSuccess {
			// Flux reports on the revision it applied: a success on a
			// later head, which includes the canary's commit, opens the
			// gate too, whatever is left on the canary's own commit.
			later, herr := r.forge.CommitChecks(ctx, head.String(), g.Context)
			if herr == nil && (later.State == forge.CheckSuccess || !cs.Found) {
				cs = later
			}
			err = herr
		}
		if err != nil {
			r.log.Error(err, "sync gate", "canary", c.Key())
			return machine.Gate{}, nil
		}
		gate := machine.Gate{Open: cs.State == forge.CheckSuccess, Failed: cs.State == forge.CheckFailure, Since: cs.At,
			Detail: strings.TrimSuffix(cs.Context+": "+cs.Description, ": ")}
		if gate.Since.IsZero() || gate.Since.Before(st.LastTransitionTime) {
			// No time given: the gate opened no earlier than the commit.
			gate.Since = st.LastTransitionTime
		}
		return gate, nil
	case "prometheus":
		if r.querier == nil {
			return machine.Gate{}, fmt.Errorf("%s: spec.gitops.syncGate: type prometheus needs --prometheus", c.Source)
		}
		// The first time, since the last commit, at which the query had a
		// value: that is when the gate opened.
		window := int(math.Ceil(now.Sub(st.LastTransitionTime).Seconds())) + 1
		query := revisionsVar.ReplaceAllLiteralString(g.Query, strings.Join(r.commitsSince(ctx, head, sha), "|"))
		q := fmt.Sprintf("min(min_over_time(timestamp((%s))[%ds:1s]))", query, window)
		v, err := r.querier.Query(ctx, q, now)
		if errors.Is(err, analysis.ErrNoValuesFound) {
			return machine.Gate{}, nil
		}
		if err != nil {
			r.log.Error(err, "sync gate", "canary", c.Key())
			return machine.Gate{}, nil
		}
		since := time.Unix(0, int64(v*1e9)).UTC()
		if since.Before(st.LastTransitionTime) {
			since = st.LastTransitionTime
		}
		return machine.Gate{Open: true, Since: since, Detail: "query true"}, nil
	}
	return machine.Gate{}, fmt.Errorf("%s: spec.gitops.syncGate.type: unknown %q", c.Source, g.Type)
}
