// Package webhookstest emulates flagger-loadtester's HTTP contract, so that
// tests and the demo can drive gitcanary's webhooks against what Flagger
// users run, without running commands.
//
// The emulated endpoints are the loadtester's: "/" accepts a task (type cmd,
// the default, runs asynchronously and answers 202; bash, helm, helmv3 and
// concord block and answer 200 or 500), "/gate/approve" answers 200,
// "/gate/halt" 403, "/gate/check" 200 "Approved" once "/gate/open" was
// called for the canary and 403 "Forbidden" before (or after
// "/gate/close"), and "/rollback/check", "/rollback/open",
// "/rollback/close" do the same for rollback gates.
package webhookstest
