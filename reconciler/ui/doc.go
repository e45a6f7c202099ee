// Package ui serves gitcanary's web UI: an overview of every canary, a page
// per canary with its current rollout live and its past rollouts, and a
// page per rollout with plots of its weight steps and metric values, all
// read from the config repository's history (no Prometheus, no cluster).
//
// The pages are server-rendered with html/template; the only script keeps
// an open page current by listening to the server's events (a new head of
// the branch) and re-reading the page. Plots are SVG drawn with
// gonum.org/v1/plot; their points link to the commits. Nothing on a page
// writes: every route is a GET, and the Git credentials never reach one.
package ui
