package api

// Event is one Flagger event of a canary: the log message and, for the
// first event of a transition, the commit subject; alerts and Flux events
// carry it too.
type Event struct {
	Text    string
	Warning bool
}
