// Package reconciler runs gitcanary's reconcile pass: it reads every Canary
// and its status from a commit, decides the next step of each rollout with a
// pure state machine, turns the decision into file edits, checks that the
// result renders and pushes all of a pass's commits at once.
package reconciler
