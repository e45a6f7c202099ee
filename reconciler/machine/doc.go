// Package machine is gitcanary's canary state machine, Flagger's scheduler
// written as a pure function: from a canary, its status and what a pass
// observed, Decide returns the next status and the events of the
// transition, or what it needs to observe first, or why it waits.
//
// It does no I/O and imports only the API types: Git, Prometheus, webhooks
// and the Git host are the caller's business. The caller asks for what a
// Decision needs (Decision.Need), adds the answer to the Observation and
// decides again; every answer is asked for at most once per tick, so the
// loop is bounded (MaxRounds).
//
// The machine is the table in rules.go: one row per transition, in the
// order of Flagger's advanceCanary, each row naming the phases it applies
// to. Every phase has a bounded outcome: with the revision fixed, a canary
// makes finitely many commits whatever it observes.
package machine
