// Package webhooks calls Flagger webhooks, so that flagger-loadtester and
// every other receiver written for Flagger works with gitcanary unchanged.
//
// A hook is POSTed Flagger's CanaryWebhookPayload as JSON:
//
//	{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"5f1c2e9a","metadata":{"cmd":"..."}}
//
// The checksum is gitcanary's revision hash of the target (pod template plus
// tracked ConfigMaps and Secrets), the value Flagger derives from
// status.lastAppliedSpec and trackedConfigs. An HTTP status up to 202 is
// success, anything above is a failure whose response body becomes the
// error text, as in Flagger. Each attempt is bounded by the hook's timeout
// (10s by default); a hook with retries is tried again, after an exponential
// backoff, on connection errors, 429 and 5xx other than 501, the policy of
// the retryablehttp client Flagger uses.
//
// Caller.Gate runs all the hooks of one type for a canary, in spec order,
// and returns per-hook results carrying Flagger's event texts ("Pre-rollout
// check smoke passed", "Halt podinfo.test advancement external check load
// failed ..."), so that the pure state machine only sees values. Event
// hooks (type event) receive every event of a canary through Caller.Event.
//
// The webhookstest package emulates flagger-loadtester's HTTP contract for
// tests and the demo.
package webhooks
