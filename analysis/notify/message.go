package notify

import "context"

// Field is one fact of a message ("Target": "Deployment/podinfo.test").
type Field struct {
	Name  string
	Value string
}

// Message is one notification about a canary.
type Message struct {
	// Name and Namespace identify the canary.
	Name      string
	Namespace string
	// Target is the canary's target as "Kind/name.namespace".
	Target string
	// Text is the notification text, Flagger's ("Failed checks threshold
	// reached 2").
	Text string
	// Severity is info, warn or error.
	Severity Severity
	// Fields are the facts shown under the text.
	Fields []Field
	// Revision is the revision the message is about.
	Revision string
}

// Key returns "name.namespace", how providers name the canary.
func (m Message) Key() string { return m.Name + "." + m.Namespace }

// Notifier posts messages to one destination.
type Notifier interface {
	Post(ctx context.Context, m Message) error
}

// NotifierFunc adapts a function to the Notifier interface.
type NotifierFunc func(ctx context.Context, m Message) error

// Post calls f(ctx, m).
func (f NotifierFunc) Post(ctx context.Context, m Message) error { return f(ctx, m) }
