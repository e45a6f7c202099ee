// Package githubtest is an in-process stand-in for the parts of the GitHub
// REST API that gitcanary uses: pull requests, reviews, issue comments,
// merges, commit statuses and check runs. It speaks go-github's own types, so
// what the client decodes is what GitHub would send.
//
// State lives in memory. Tests drive the human side with helpers on [Repo]
// (Approve, RequestChanges, MergeExternally, Close, SetStatus, AddCheckRun),
// inject faults with [Server.FailNext] and [Server.RateLimitNext], and
// assert on [Server.Requests]. The server cannot touch a git repository
// itself: set [Repo].OnMerge to merge in a real (bare) repository and return
// the merge commit.
package githubtest
