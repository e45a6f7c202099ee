package ui

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gitcanary/gitcanary/reconciler"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// page is what every page shows in its header.
type page struct {
	Title    string
	Repo     string
	Branch   string
	Head     string
	Fetched  time.Time
	FetchErr string
	Now      time.Time
}

// canaryRow is a canary as the overview lists it.
type canaryRow struct {
	Namespace, Name string
	Path            string
	Provider        string
	Phase           string
	Weight          int
	FailedChecks    int
	Threshold       int
	LastTransition  time.Time
	Revision        string
	Images          []string
	ImageErr        string
	// Notes say what holds the canary: a conflict, a pause, a suspension,
	// an approval pull request.
	Notes []string
	URL   string
}

// newCanaryRow is the row of a canary; the caller has found its images
// (view.findImages).
func newCanaryRow(v *view, info reconciler.CanaryInfo) canaryRow {
	c, st := info.Canary, info.Status
	images, imgErr := v.imagesOf(c.ID())
	r := canaryRow{
		Namespace: info.Namespace, Name: info.Name, Path: info.Path,
		Provider: c.Spec.Provider, Phase: rowPhase(st), Weight: st.CanaryWeight,
		FailedChecks: st.FailedChecks, Threshold: c.Spec.Analysis.Threshold,
		LastTransition: st.LastTransitionTime, Revision: st.LastAppliedSpec,
		Images: images, URL: canaryURL(info.Namespace, info.Name),
	}
	if imgErr != nil {
		r.ImageErr = imgErr.Error()
	}
	if info.Conflict != "" {
		r.Notes = append(r.Notes, "conflict: "+info.Conflict)
	}
	if st.Paused {
		r.Notes = append(r.Notes, "paused by "+st.PausedBy)
	}
	if c.Spec.Suspend {
		r.Notes = append(r.Notes, "suspended (spec.suspend)")
	}
	if a := st.Approval; a != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("waiting for the %s pull request of branch %s", a.Gate, a.Branch))
	}
	return r
}

// rowPhase is the phase a row shows: Pending before the first commit.
func rowPhase(st api.Status) string {
	if st.Phase == "" {
		return "Pending"
	}
	return string(st.Phase)
}

// overviewPage lists the canaries, filtered by namespace and phase.
type overviewPage struct {
	page
	Namespace, Phase   string
	Namespaces, Phases []string
	Rows               []canaryRow
	Total              int
	Errors             []string
}

func newOverview(v *view, namespace, phase string) overviewPage {
	o := overviewPage{Namespace: namespace, Phase: phase}
	var shown []reconciler.CanaryInfo
	seen := map[string]bool{}
	for _, info := range v.canaries {
		ph := rowPhase(info.Status)
		if !seen["ns "+info.Namespace] {
			seen["ns "+info.Namespace] = true
			o.Namespaces = append(o.Namespaces, info.Namespace)
		}
		if !seen["phase "+ph] {
			seen["phase "+ph] = true
			o.Phases = append(o.Phases, ph)
		}
		if (namespace == "" || info.Namespace == namespace) && (phase == "" || ph == phase) {
			shown = append(shown, info)
		}
	}
	v.findImages(shown...) // only the rows shown: a filter renders no other app
	for _, info := range shown {
		o.Rows = append(o.Rows, newCanaryRow(v, info))
	}
	o.Total = len(v.canaries)
	slices.Sort(o.Phases)
	for _, err := range v.errs {
		o.Errors = append(o.Errors, err.Error())
	}
	return o
}

// canaryPage is a canary: its spec, its current rollout (live) and its
// past ones.
type canaryPage struct {
	page
	Row      canaryRow
	Spec     []string
	Current  *rolloutView
	Rollouts []rolloutRow
	// Other are its commits outside rollouts: initialization, requests
	// between rollouts.
	Other []stepView
}

// rolloutRow is a rollout as the canary page lists it.
type rolloutRow struct {
	Revision     string
	Started      time.Time
	Duration     time.Duration
	Outcome      string
	FailedChecks int
	Commits      int
	URL          string
}

// rolloutPage is one rollout with its plots.
type rolloutPage struct {
	page
	Row     canaryRow
	Rollout rolloutView
}

// rolloutView is a rollout: its steps, gates and plots.
type rolloutView struct {
	rolloutRow
	Active  bool
	Images  []string
	Steps   []stepView
	Gates   []gateView
	Weight  plotView
	Metrics []plotView
}

// stepView is one commit of a rollout.
type stepView struct {
	SHA, Short string
	// URL is the commit on the forge, "" without one.
	URL     string
	Time    time.Time
	Author  string
	Phase   string
	Weight  int
	Failed  int
	Message string
	Body    string
	Metrics []reconciler.MetricValue
	Request string
}

// gateView is what a rollout waited for: a sync gate, an approval pull
// request, a manual request.
type gateView struct {
	Kind string
	Time time.Time
	Text string
	// Who merged the pull request or asked.
	Who string
	URL string
	SHA string
}

// plotView is a plot on a page: its SVG and the image map of its points.
type plotView struct {
	Name   string
	Src    string
	Width  int
	Height int
	Map    string
	Areas  []areaView
}

// areaView is a point of a plot, linked to its commit.
type areaView struct {
	area
	Href string
}

func newStep(l links, e reconciler.Transition) stepView {
	return stepView{SHA: e.SHA, Short: e.SHA[:7], URL: l.commit(e.SHA), Time: e.Time, Author: e.Author,
		Phase: string(e.Phase), Weight: e.Weight, Failed: e.Failed, Message: e.Message, Body: e.Body,
		Metrics: reconciler.ParseAnalysis(e.Body).Metrics, Request: e.Request}
}

// gates lists what the rollout's commits waited for.
func gates(l links, steps []reconciler.Transition) []gateView {
	var out []gateView
	for _, e := range steps {
		if e.Request != "" {
			out = append(out, gateView{Kind: "manual request", Time: e.Time, Text: e.Message, Who: e.Author, URL: l.commit(e.SHA), SHA: e.SHA})
		}
		if g := reconciler.ParseAnalysis(e.Body).SyncGate; g != "" {
			out = append(out, gateView{Kind: "sync gate", Time: e.Time, Text: strings.TrimPrefix(g, "sync gate: ") + " (before: " + e.Message + ")", URL: l.commit(e.SHA), SHA: e.SHA})
		}
		if m := e.Merge; m != nil {
			u := l.pullRequest(m.PullRequest)
			if u == "" {
				u = l.commit(m.SHA)
			}
			out = append(out, gateView{Kind: "approval", Time: m.Time, Text: mergeLabel(m) + ": " + e.Message, Who: m.By, URL: u, SHA: m.SHA})
		}
	}
	return out
}

func newRolloutRow(ns, name string, r reconciler.Rollout, commits int) rolloutRow {
	return rolloutRow{Revision: r.Revision, Started: r.Started, Duration: r.Duration.Duration, Outcome: string(r.Outcome),
		FailedChecks: r.FailedChecks, Commits: commits, URL: rolloutURL(ns, name, r.FirstSHA)}
}

func canaryURL(ns, name string) string {
	return "/canaries/" + url.PathEscape(ns) + "/" + url.PathEscape(name)
}

func rolloutURL(ns, name, first string) string {
	return canaryURL(ns, name) + "/rollouts/" + first[:12]
}

// specSummary describes the canary's analysis in a few lines.
func specSummary(c *api.Canary) []string {
	a := c.Spec.Analysis
	steps := fmt.Sprintf("step %d%%", a.StepWeight)
	if len(a.StepWeights) > 0 {
		steps = fmt.Sprintf("steps %v", a.StepWeights)
	}
	out := []string{
		fmt.Sprintf("Target %s/%s, file %s (%s)", c.Spec.TargetRef.Kind, c.Spec.TargetRef.Name, c.Source.Path, c.APIVersion),
		fmt.Sprintf("Analysis: %s, every %s, threshold %d, %s, max %d%%", a.Strategy(), a.Interval.Duration, a.Threshold, steps, a.MaxWeight),
	}
	for _, m := range a.Metrics {
		line := "Metric " + m.Name
		if r := m.ThresholdRange; r != nil {
			if r.Min != nil {
				line += fmt.Sprintf(" min %v", *r.Min)
			}
			if r.Max != nil {
				line += fmt.Sprintf(" max %v", *r.Max)
			}
		}
		out = append(out, line+" over "+m.Interval.Duration.String())
	}
	if g := c.Spec.GitOps.SyncGate; g != nil && g.Type != "" && g.Type != "none" {
		out = append(out, "Sync gate: "+g.Type+" "+g.Context+g.Query)
	}
	if ap := c.Spec.GitOps.Approval; ap != nil {
		if ap.Rollout == "pullRequest" {
			out = append(out, "Approval: pull request before the rollout")
		}
		if ap.Promotion == "pullRequest" {
			out = append(out, "Approval: pull request before the promotion")
		}
	}
	return out
}
