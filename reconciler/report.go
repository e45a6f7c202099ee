package reconciler

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/templates"
)

// CanaryInfo is a canary and its status as a commit holds them: what
// `gitcanary get canaries` lists.
type CanaryInfo struct {
	Canary    *api.Canary `json:"-"`
	Namespace string      `json:"namespace"`
	Name      string      `json:"name"`
	Path      string      `json:"path"`
	Status    api.Status  `json:"status"`
	// Conflict says why gitcanary refuses the canary: another one has its
	// namespace and name, or its generated folder (see api.Conflicts).
	Conflict string `json:"conflict,omitempty"`
	// Terminated is the commit that terminated the canary when it is no
	// longer in the branch (see FindTerminated), "" otherwise.
	Terminated string `json:"terminated,omitempty"`
}

// ListCanaries reads every canary of the commit and its status.yaml, without
// rendering anything. A canary never reconciled has an empty phase. The
// errors are those of bad documents, bad status files (checked as of now)
// and conflicting canaries, which are listed with their Conflict set.
func ListCanaries(snap *gitops.Snapshot, provider string, now time.Time) ([]CanaryInfo, []error) {
	canaries, _, errs := newScanner("", provider).scan(snap)
	_, conflicts := api.Conflicts(canaries)
	conflict := map[api.Source]string{}
	for _, err := range conflicts {
		var fe *api.FieldError
		if errors.As(err, &fe) {
			conflict[fe.Source] = fe.Msg
		}
	}
	errs = append(errs, conflicts...)
	out := make([]CanaryInfo, 0, len(canaries))
	for _, c := range canaries {
		info := CanaryInfo{Canary: c, Namespace: c.Metadata.Namespace, Name: c.Metadata.Name, Path: c.Source.Path, Conflict: conflict[c.Source]}
		p := path.Join(componentDir(c), StatusFile)
		if data, err := snap.ReadFile(p); err == nil {
			st, err := api.UnmarshalStatus(p, data, now)
			if err != nil {
				errs = append(errs, err)
			}
			info.Status = st
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Path < out[j].Path
	})
	return out, errs
}

// FindCanary returns the canary named name among infos, in namespace when
// it is not empty. A name in several namespaces needs the namespace; a
// canary in conflict with another is an error saying so.
func FindCanary(infos []CanaryInfo, namespace, name string) (CanaryInfo, error) {
	var found []CanaryInfo
	for _, c := range infos {
		if c.Name == name && (namespace == "" || c.Namespace == namespace) {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		if namespace != "" {
			return CanaryInfo{}, fmt.Errorf("canary %s not found in namespace %s", name, namespace)
		}
		return CanaryInfo{}, fmt.Errorf("canary %s not found", name)
	}
	var ns []string
	for _, c := range found {
		if !slices.Contains(ns, c.Namespace) {
			ns = append(ns, c.Namespace)
		}
	}
	if len(ns) > 1 {
		return CanaryInfo{}, fmt.Errorf("canary %s exists in namespaces %s: set -n", name, strings.Join(ns, ", "))
	}
	for _, c := range found {
		if c.Conflict != "" {
			return c, fmt.Errorf("canary %s/%s (%s): %s", c.Namespace, c.Name, c.Canary.Source, c.Conflict)
		}
	}
	return found[0], nil
}

// FindTerminated finds a canary that is no longer in the branch because
// gitcanary terminated it (revertOnDeletion): the newest termination commit
// of a canary named name (in namespace when it is not empty) on the
// first-parent history from head, and the canary as that commit's parent
// held it, in phase Terminated since the commit. found is false when no
// such commit exists.
func FindTerminated(ctx context.Context, repo *gitops.Repo, head plumbing.Hash, provider, namespace, name string) (info CanaryInfo, found bool, err error) {
	var term *object.Commit
	err = repo.Log(ctx, head, func(c *object.Commit) error {
		if !strings.Contains(c.Message, TrailerPhase+": "+string(api.PhaseTerminated)) {
			return nil
		}
		_, _, trailers := gitops.ParseMessage(c.Message)
		for _, t := range trailers {
			ns, n, _ := strings.Cut(t.Value, "/")
			if t.Key == TrailerCanary && n == name && (namespace == "" || ns == namespace) {
				term = c
				return gitops.ErrStopLog
			}
		}
		return nil
	})
	if err != nil || term == nil || len(term.ParentHashes) == 0 {
		return CanaryInfo{}, false, err
	}
	// The newest commit before the termination that holds the Canary, as
	// the pass that terminated it looked for it (lastKnown).
	n := 0
	err = repo.Log(ctx, term.ParentHashes[0], func(c *object.Commit) error {
		snap, err := repo.Snapshot(c.Hash)
		if err != nil {
			return err
		}
		infos, _ := ListCanaries(snap, provider, term.Committer.When)
		if i, err := FindCanary(infos, namespace, name); err == nil {
			info, found = i, true
			return gitops.ErrStopLog
		}
		if n++; n == maxPromotedLog {
			return gitops.ErrStopLog
		}
		return nil
	})
	if err != nil || !found {
		return CanaryInfo{}, false, err
	}
	info.Terminated = term.Hash.String()
	info.Status.Phase = api.PhaseTerminated
	info.Status.CanaryWeight = 0
	info.Status.LastTransitionTime = term.Committer.When.UTC()
	return info, true, nil
}

// Transition is one of a canary's commits: a transition of its rollout.
type Transition struct {
	SHA      string    `json:"sha"`
	Time     time.Time `json:"time"`
	Message  string    `json:"message"`
	Body     string    `json:"body,omitempty"`
	Phase    api.Phase `json:"phase"`
	Weight   int       `json:"weight"`
	Revision string    `json:"revision"`
	Failed   int       `json:"failedChecks"`
	// Iterations is "2/10" on the commits of an A/B test or a blue/green
	// release made while its iterations count, "" otherwise.
	Iterations string `json:"iterations,omitempty"`
	Author     string `json:"author"`
	// Request is the action a manual request commit asks for (trailer
	// Canary-Request: promote, abort, pause, resume); its author asked.
	// Such a commit has no phase, weight or revision.
	Request string `json:"request,omitempty"`
	// Merge is the merge of the approval pull request that brought this
	// transition in, nil for a commit gitcanary pushed itself.
	Merge *Merge `json:"merge,omitempty"`
}

// Events returns the commits of canary id ("namespace/name") on the first-
// parent history from head, oldest first. It reads commit messages only
// (trailers), so it is fast on long histories.
func Events(ctx context.Context, repo *gitops.Repo, head plumbing.Hash, id string) ([]Transition, error) {
	return events(ctx, repo, head, id, false)
}

// rolloutEvents is Events for the current rollout only: the walk stops at
// its "New revision detected! Scaling up" commit, so a pass that refreshes
// an approval pull request does not read the whole history.
func rolloutEvents(ctx context.Context, repo *gitops.Repo, head plumbing.Hash, id string) ([]Transition, error) {
	return events(ctx, repo, head, id, true)
}

func events(ctx context.Context, repo *gitops.Repo, head plumbing.Hash, id string, rollout bool) ([]Transition, error) {
	out := []Transition{}
	err := repo.Log(ctx, head, func(c *object.Commit) error {
		// A merged approval pull request brings gitcanary's proposed
		// transition in as the merge's second parent.
		if len(c.ParentHashes) > 1 {
			if p, err := repo.CommitObject(c.ParentHashes[1]); err == nil {
				if e, ok := transitionOf(p, id); ok {
					e.Merge = mergeOf(c)
					out = append(out, e)
				}
			}
		}
		if e, ok := transitionOf(c, id); ok {
			out = append(out, e)
			if rollout && strings.HasPrefix(e.Message, "New revision detected! Scaling up") {
				return gitops.ErrStopLog
			}
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// transitionOf reads a commit as a transition of canary id, if it is one.
func transitionOf(c *object.Commit, id string) (Transition, bool) {
	if !strings.Contains(c.Message, TrailerCanary+": "+id) {
		return Transition{}, false
	}
	subject, body, trailers := gitops.ParseMessage(c.Message)
	e := Transition{SHA: c.Hash.String(), Time: c.Author.When.UTC(), Message: subject, Body: body, Author: c.Author.Name}
	match := false
	for _, t := range trailers {
		switch t.Key {
		case TrailerCanary:
			match = t.Value == id
		case TrailerPhase:
			e.Phase = api.Phase(t.Value)
		case TrailerWeight:
			e.Weight, _ = strconv.Atoi(t.Value)
		case TrailerRevision:
			e.Revision = t.Value
		case TrailerFailedChecks:
			e.Failed, _ = strconv.Atoi(t.Value)
		case TrailerRequest:
			e.Request = t.Value
		case TrailerIterations:
			e.Iterations = t.Value
		}
	}
	return e, match
}

// Rollout is one run of the analysis, from the new revision to its outcome.
type Rollout struct {
	Revision     string       `json:"revision"`
	Started      time.Time    `json:"started"`
	Duration     api.Duration `json:"duration"`
	Outcome      api.Phase    `json:"outcome"`
	FailedChecks int          `json:"failedChecks"`
	// Iterations is the last iteration the rollout reached ("10/10") when
	// it counted iterations, "" otherwise.
	Iterations string `json:"iterations,omitempty"`
	FirstSHA   string `json:"firstSHA"`
	LastSHA    string `json:"lastSHA"`
}

// Rollouts groups a canary's transitions (oldest first) into rollouts: each
// starts at "New revision detected! Scaling up" and ends at Succeeded,
// Failed or Terminated (a canary deleted mid-rollout); a restart on a newer
// revision stays in the same rollout, and one still running has its current
// phase as the outcome. A commit after a rollout ended (a termination at
// rest) belongs to none.
func Rollouts(events []Transition) []Rollout {
	out := []Rollout{}
	for _, e := range events {
		if strings.HasPrefix(e.Message, "New revision detected! Scaling up") {
			out = append(out, Rollout{Started: e.Time, FirstSHA: e.SHA})
		}
		if len(out) == 0 || e.Request != "" {
			continue // initialization; a request is honoured by a later commit
		}
		cur := &out[len(out)-1]
		if cur.Outcome != "" && !cur.Outcome.Active() {
			continue // the rollout ended: a commit at rest (a termination) is not part of it
		}
		cur.Revision = e.Revision
		cur.Outcome = e.Phase
		cur.LastSHA = e.SHA
		cur.Duration = api.Duration{Duration: e.Time.Sub(cur.Started)}
		cur.FailedChecks = max(cur.FailedChecks, e.Failed)
		if e.Iterations != "" {
			cur.Iterations = e.Iterations
		}
	}
	return out
}

// Merge is the merge commit of an approval pull request: gitcanary proposed
// a transition on the pull request's branch and someone merged it.
type Merge struct {
	SHA  string    `json:"sha"`
	Time time.Time `json:"time"`
	// By is the merge commit's author: on GitHub, who merged.
	By string `json:"by"`
	// PullRequest is the number in GitHub's merge subject ("Merge pull
	// request #12 from ..."), 0 when the subject has none.
	PullRequest int `json:"pullRequest,omitempty"`
}

// mergeOf reads a merge commit as the merge of an approval pull request.
func mergeOf(c *object.Commit) *Merge {
	m := &Merge{SHA: c.Hash.String(), Time: c.Author.When.UTC(), By: c.Author.Name}
	if rest, ok := strings.CutPrefix(c.Message, "Merge pull request #"); ok {
		end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if end > 0 {
			m.PullRequest, _ = strconv.Atoi(rest[:end])
		}
	}
	return m
}

// Transitions returns the transitions of rollout r among events (the
// canary's, oldest first, that Rollouts grouped): from its new revision to
// its last commit, manual requests in between included.
func (r Rollout) Transitions(events []Transition) []Transition {
	first := slices.IndexFunc(events, func(e Transition) bool { return e.SHA == r.FirstSHA })
	if first < 0 {
		return nil
	}
	last := first + slices.IndexFunc(events[first:], func(e Transition) bool { return e.SHA == r.LastSHA })
	if last < first {
		return nil
	}
	return events[first : last+1]
}

// Analysis is what a transition's commit body says about the step it
// measured: one value per metric and the sync gate's report.
type Analysis struct {
	Metrics []MetricValue `json:"metrics,omitempty"`
	// SyncGate is the sync gate's line ("sync gate: kustomization/apps:
	// reconciliation succeeded, 1.2s after the last commit"), "" when the
	// step had no gate.
	SyncGate string `json:"syncGate,omitempty"`
}

// MetricValue is one metric line of a commit body, as the analysis writes
// it: "request-success-rate 99.87% >= 99%", "request-duration 1.2s > 500ms",
// "latency 0.53 >= 0.1, <= 2", "error-rate no values found",
// "request-success-rate 99.28% >= 99%; vs primary: median ...".
type MetricValue struct {
	Name string `json:"name"`
	// Text is the value as written ("99.87%", "212ms"), "" without one.
	Text string `json:"text,omitempty"`
	// Value is Text in the metric's Unit: percent, milliseconds or plain.
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
	// Bounds are the threshold range the value passed, or the one bound
	// it missed.
	Bounds []Bound `json:"bounds,omitempty"`
	Passed bool    `json:"passed"`
	// NoData is "no values found" (Skipped: onNoData: skip).
	NoData  bool `json:"noData,omitempty"`
	Skipped bool `json:"skipped,omitempty"`
	// Error is the query's error.
	Error string `json:"error,omitempty"`
	// Detail follows the value after "; ": the baseline comparison, as
	// written; Compare is what it says, when it reads as one. A worse or
	// inconclusive (not skipped) comparison fails the check: Passed is
	// false even though the value is within its bounds.
	Detail  string               `json:"detail,omitempty"`
	Compare *analysis.Comparison `json:"compare,omitempty"`
}

// Bound is one side of a metric's threshold: Op is ">=" or "<=" for a
// passed check, "<" or ">" for the bound a failed one missed.
type Bound struct {
	Op    string  `json:"op"`
	Text  string  `json:"text"`
	Value float64 `json:"value"`
}

// Min reports whether the bound is a minimum (the value must be above it).
func (b Bound) Min() bool { return b.Op == ">=" || b.Op == "<" }

// Threshold is the bounds as written: ">= 99%", ">= 0.1, <= 2".
func (m MetricValue) Threshold() string {
	parts := make([]string, len(m.Bounds))
	for i, b := range m.Bounds {
		parts[i] = b.Op + " " + b.Text
	}
	return strings.Join(parts, ", ")
}

// ParseAnalysis reads the metric values and the sync gate's line of a
// commit body. Other lines (events, hook results) are left out.
func ParseAnalysis(body string) Analysis {
	var a Analysis
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "sync gate") {
			a.SyncGate = line
			continue
		}
		if m, ok := parseMetricLine(line); ok {
			a.Metrics = append(a.Metrics, m)
		}
	}
	return a
}

// parseMetricLine reads one summary line of the analysis.
func parseMetricLine(line string) (MetricValue, bool) {
	line, detail, _ := strings.Cut(line, "; ")
	name, rest, ok := strings.Cut(line, " ")
	if !ok || name == "" {
		return MetricValue{}, false
	}
	m := MetricValue{Name: name, Detail: detail}
	switch {
	case rest == "no values found", rest == "no values found, skipped":
		m.NoData, m.Skipped, m.Passed = true, strings.HasSuffix(rest, "skipped"), strings.HasSuffix(rest, "skipped")
		return m, true
	case strings.HasPrefix(rest, "error: "):
		m.Error = strings.TrimPrefix(rest, "error: ")
		return m, true
	}
	f := strings.Fields(rest)
	if len(f) < 3 || len(f)%2 == 0 {
		return MetricValue{}, false
	}
	m.Text = f[0]
	m.Value, m.Unit, ok = analysis.ParseValue(f[0])
	if !ok {
		return MetricValue{}, false
	}
	m.Passed = true
	if c, ok := analysis.ParseComparison(detail); ok {
		m.Compare, m.Passed = c, !c.Failed()
	}
	for i := 1; i+1 < len(f); i += 2 {
		op, text := f[i], strings.TrimSuffix(f[i+1], ",")
		v, _, ok := analysis.ParseValue(text)
		if !ok || !slices.Contains([]string{">=", "<=", "<", ">"}, op) {
			return MetricValue{}, false
		}
		if op == "<" || op == ">" {
			m.Passed = false
		}
		m.Bounds = append(m.Bounds, Bound{Op: op, Text: text, Value: v})
	}
	return m, true
}

// TargetImages renders the app of each canary of snap as its owner wrote it
// (without the generated component, with Flux's post-build substitution)
// and returns its target's container images by canary ID
// ("namespace/name"): what the canary runs or rolls out. A canary whose app
// does not render has its error instead. With a memo, a canary whose
// Canary file and render inputs are the blobs they were when the memo
// last saw it is answered without a render (and the snapshot is scanned
// only when one must be rendered).
func TargetImages(snap *gitops.Snapshot, provider string, canaries []CanaryInfo, memo *ImageMemo) (map[string][]string, map[string]error) {
	images, errs := map[string][]string{}, map[string]error{}
	var s *scanner
	var fsys *gitops.FS
	for _, info := range canaries {
		c := info.Canary
		if imgs, ok := memo.lookup(snap, c); ok {
			images[c.ID()] = imgs
			continue
		}
		if s == nil {
			s = newScanner("", provider)
			s.scan(snap)
			fsys = gitops.NewFS(snap)
		}
		pb, err := postBuildFor(s.flux, c.Source.AppDir)
		if err != nil {
			errs[c.ID()] = err
			continue
		}
		ob, err := observe(context.Background(), snap, fsys, c, pb, s.sources)
		if err != nil {
			errs[c.ID()] = err
			continue
		}
		images[c.ID()] = templates.ContainerImages(ob.in.Target)
		memo.keep(snap, c, ob.paths, images[c.ID()])
	}
	return images, errs
}

// ImageMemo remembers the images TargetImages found per canary with the
// files that decided them: the Canary file and the files its app's render
// read, by blob hash. Safe for concurrent use; a nil memo remembers
// nothing.
type ImageMemo struct {
	mu      sync.Mutex
	byID    map[string]imageMemo
	renders int
}

type imageMemo struct {
	paths  []string
	digest string
	images []string
}

// NewImageMemo returns an empty memo.
func NewImageMemo() *ImageMemo { return &ImageMemo{byID: map[string]imageMemo{}} }

func (m *ImageMemo) lookup(snap *gitops.Snapshot, c *api.Canary) ([]string, bool) {
	if m == nil {
		return nil, false
	}
	m.mu.Lock()
	e, ok := m.byID[c.ID()]
	m.mu.Unlock()
	if !ok || inputsDigest(snap, nil, e.paths) != e.digest {
		return nil, false
	}
	return e.images, true
}

func (m *ImageMemo) keep(snap *gitops.Snapshot, c *api.Canary, paths []string, images []string) {
	if m == nil {
		return
	}
	paths = append(slices.Clone(paths), c.Source.Path)
	e := imageMemo{paths: paths, digest: inputsDigest(snap, nil, paths), images: images}
	m.mu.Lock()
	m.byID[c.ID()] = e
	m.renders++
	m.mu.Unlock()
}

// Renders is how many apps TargetImages rendered (and rendered without
// error) with the memo.
func (m *ImageMemo) Renders() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.renders
}
