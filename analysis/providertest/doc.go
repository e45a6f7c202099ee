// Package providertest serves stand-ins of metric providers' HTTP APIs for
// tests that run gitcanary against them: Datadog's timeseries API and New
// Relic's NerdGraph, speaking their paths, authentication headers, request
// and answer shapes and error bodies. A test says what each query measures
// with an Answer; the stand-ins record the requests they got.
package providertest
