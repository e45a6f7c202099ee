// Package analysis evaluates canary metrics: it renders Flagger's builtin
// PromQL queries and the queries of MetricTemplate documents found in the
// config repository, runs them against Prometheus between two commits, and
// judges the values against each metric's thresholdRange.
//
// The results carry the texts gitcanary writes into Git: a Flagger event
// text for a failed check ("Halt podinfo.test advancement success rate
// 69.17% < 99%"), used as a commit subject and log message, and a one-line
// summary per metric for the commit body ("request-duration 212ms <= 500ms").
//
// Everything that does I/O sits behind the small Querier interface, so the
// judging is tested with a QuerierFunc and the Prometheus client with an
// httptest server; the end-to-end tests run a real Prometheus server
// (fixtures/promtest) scraping simulated Istio telemetry
// (fixtures/meshmetrics).
package analysis
