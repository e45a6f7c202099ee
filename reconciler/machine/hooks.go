package machine

// Flagger webhooks in the machine. The caller runs a canary's hooks of the
// type a Decision asks for (NeedHooks) and decides again with their
// outcome in Observation.Hooks; a canary without hooks of a type passes
// without a call. On a tick:
//
//	confirm-rollout           a new revision waits in phase Waiting (one commit) until they pass
//	rollback                  first on every tick of a rollout; one answering 2xx rolls back
//	pre-rollout               on the tick that starts the analysis; a failure is a failed check
//	rollout                   on every later tick, before the metrics; a failure is a failed check
//	confirm-traffic-increase  canary strategy: before every step of phase Progressing, the
//	                          promotion too, but not the step after the mirror step; a
//	                          failure waits, without a commit
//	confirm-promotion         before the promotion (blue/green: before routing all traffic to
//	                          the canary, and again before the copy); a failure waits in
//	                          phase WaitingPromotion (one commit) while the analysis goes on
//
// Post-rollout and event hooks change nothing: the caller calls them after
// it pushed the transition.
