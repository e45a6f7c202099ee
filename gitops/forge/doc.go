// Package forge is gitcanary's GitHub side: the pull requests that serve as
// approval gates and the commit statuses and check runs that tell the sync
// gate a step commit was applied by Flux or Argo CD.
//
// [New] returns a [GitHub] bound to one repository. Its methods take plain
// values and return small structs ([PR], [CheckState]) so the reconciler can
// declare its own narrow interface over them. Every request is retried with
// bounded backoff on 5xx answers, network errors and rate limits (honouring
// Retry-After and X-RateLimit-Reset up to [Options].MaxWait); what cannot be
// retried, or is still failing, comes back as an error wrapping one of the
// sentinels ([ErrRateLimited], [ErrUnavailable], [ErrNotFound],
// [ErrNotMergeable]). The token is never part of an error or a log line.
//
// [AnalysisTable] renders the analysis so far as a markdown table for pull
// request bodies. Package githubtest provides an in-process stand-in for the
// GitHub API for tests.
package forge
