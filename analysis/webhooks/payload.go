package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"time"
)

// Payload is Flagger's CanaryWebhookPayload, the JSON body POSTed to every
// hook. Field names and order are Flagger's.
type Payload struct {
	// Name is the canary's name.
	Name string `json:"name"`
	// Namespace is the canary's namespace.
	Namespace string `json:"namespace"`
	// Phase is the canary's phase as PayloadPhase computes it.
	Phase string `json:"phase"`
	// Checksum identifies the revision under analysis: gitcanary's revision
	// hash of the target and its tracked configs.
	Checksum string `json:"checksum"`
	// Metadata is the hook's metadata; event hooks add eventMessage,
	// eventType and timestamp.
	Metadata map[string]string `json:"metadata,omitempty"`
}

// Metadata keys Flagger adds to the payload of event hooks.
const (
	MetaEventMessage = "eventMessage"
	MetaEventType    = "eventType"
	MetaTimestamp    = "timestamp"
)

// Event types of event hooks (Kubernetes event types).
const (
	EventTypeNormal  = "Normal"
	EventTypeWarning = "Warning"
)

// Marshal encodes the payload as Flagger does.
func (p Payload) Marshal() ([]byte, error) {
	return json.Marshal(p)
}

// ParsePayload decodes a payload as a hook receiver does. Unknown fields are
// ignored, as newer Flagger versions may add some; anything but one JSON
// object is an error.
func ParsePayload(data []byte) (Payload, error) {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return Payload{}, errors.New("invalid webhook payload: null")
	}
	var p Payload
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&p); err != nil {
		return Payload{}, fmt.Errorf("invalid webhook payload: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Payload{}, errors.New("invalid webhook payload: data after the JSON object")
	}
	return p, nil
}

// EventPayload builds the payload of an event hook the way Flagger does: the
// hook's metadata plus eventMessage, eventType (Normal or Warning) and
// timestamp (Unix milliseconds, as a string), which the hook's metadata
// cannot override.
func EventPayload(name, namespace, phase, checksum string, hookMeta map[string]string, text string, warning bool, now time.Time) Payload {
	typ := EventTypeNormal
	if warning {
		typ = EventTypeWarning
	}
	meta := maps.Clone(hookMeta)
	if meta == nil {
		meta = make(map[string]string, 3)
	}
	meta[MetaEventMessage] = text
	meta[MetaEventType] = typ
	meta[MetaTimestamp] = strconv.FormatInt(now.UnixMilli(), 10)
	return Payload{Name: name, Namespace: namespace, Phase: phase, Checksum: checksum, Metadata: meta}
}
