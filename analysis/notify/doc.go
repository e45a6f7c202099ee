// Package notify tells people and systems what canaries do: chat
// notifications the way Flagger sends them, with the reason of a failure,
// and every event to Flux's notification-controller and to Flagger event
// webhooks.
//
// Chat providers are configured by AlertProvider documents in the
// repository (Flagger's flagger.app/v1beta1 AlertProvider: slack, msteams,
// discord, rocket, gchat, plus gitcanary's generic JSON webhook) and
// selected by a Canary's analysis.alerts, filtered by severity as Flagger
// does: an alert of severity info receives everything, warn receives
// warnings and errors, error only errors. Canaries without alerts use the
// global provider given on the command line. Addresses and tokens never
// come from flags nor appear in logs or errors: a secretRef names a mounted
// Secret, read from <credentials dir>/<namespace>/<name>/address (and
// token); the global provider's address comes from the environment or a
// file.
//
// The Dispatcher is the one entry point of the reconciler: after each
// transition it is handed the transition's events; Alerts maps them to
// Flagger's notifications ("Failed checks threshold reached 2", with the
// check that failed as the Reason field), and every event also goes to the
// Recorders: FluxEvents posts it to notification-controller's /events
// endpoint as a Flux controller does, EventHooks to Flagger event webhooks.
// Delivery has a per-provider timeout; failures are logged, never fatal.
package notify
