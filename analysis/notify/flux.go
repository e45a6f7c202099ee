package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	eventv1 "github.com/fluxcd/pkg/apis/event/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Involved object of the events gitcanary sends to notification-controller.
const (
	FluxEventKind       = api.KindCanary
	FluxEventAPIVersion = api.GroupVersion
	// FluxEventGroup prefixes metadata keys: notification-controller
	// keeps only keys prefixed with the involved object's API group.
	FluxEventGroup = "gitcanary.dev"
)

// FluxEvents posts events to Flux notification-controller's events
// endpoint (the --events-addr of Flux controllers, e.g.
// http://notification-controller.flux-system.svc.cluster.local./), as
// fluxcd/pkg/runtime/events does: an eventv1.Event whose involved object is
// the Canary (gitcanary.dev/v1beta1), severity info or error (Warning
// events), the event text as message, the phase after the transition as
// reason, and the revision as metadata "gitcanary.dev/revision".
//
// Connection errors and 5xx answers are retried; 429, notification-
// controller's answer to a duplicate event, is success.
type FluxEvents struct {
	// Address is the events endpoint.
	Address string
	// Controller is the reporting controller (default "gitcanary").
	Controller string
	// Instance is the reporting instance (default the host name).
	Instance string
	// Client sends the requests (default: one with a 5s timeout per
	// attempt, as Flux's recorder).
	Client *http.Client
	// Retries is how many times a failed post is retried (default 2), after
	// Backoff, doubled each time (default 1s).
	Retries int
	Backoff time.Duration
	// Now stamps events (default time.Now).
	Now func() time.Time
}

// NewFluxEvents returns a recorder posting to address, with the defaults.
func NewFluxEvents(address string) (*FluxEvents, error) {
	if err := checkAddress(address); err != nil {
		return nil, fmt.Errorf("events address %q: %w", address, err)
	}
	host, _ := os.Hostname()
	return &FluxEvents{
		Address:    address,
		Controller: "gitcanary",
		Instance:   host,
		Client:     &http.Client{Timeout: 5 * time.Second},
		Retries:    2,
		Backoff:    time.Second,
		Now:        time.Now,
	}, nil
}

// FluxEvent builds the event notification-controller receives.
func (f *FluxEvents) FluxEvent(t Transition, e Event) eventv1.Event {
	sev := eventv1.EventSeverityInfo
	if e.Warning {
		sev = eventv1.EventSeverityError
	}
	var meta map[string]string
	if t.Revision != "" {
		meta = map[string]string{FluxEventGroup + "/" + eventv1.MetaRevisionKey: t.Revision}
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	reason := string(t.Status.Phase)
	if reason == "" {
		reason = "Synced"
	}
	return eventv1.Event{
		InvolvedObject: corev1.ObjectReference{
			Kind:       FluxEventKind,
			APIVersion: FluxEventAPIVersion,
			Name:       t.Canary.Metadata.Name,
			Namespace:  t.Canary.Metadata.Namespace,
		},
		Severity:            sev,
		Timestamp:           metav1.NewTime(now()),
		Message:             e.Text,
		Reason:              reason,
		Metadata:            meta,
		ReportingController: f.Controller,
		ReportingInstance:   f.Instance,
	}
}

// Record posts the event.
func (f *FluxEvents) Record(ctx context.Context, t Transition, e Event) error {
	body, err := json.Marshal(f.FluxEvent(t, e))
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	client := f.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	wait := f.Backoff
	var last error
	for i := 0; i <= max(0, f.Retries); i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("post event to %s: %w (last error: %v)", f.Address, ctx.Err(), last)
			case <-time.After(wait):
			}
			wait *= 2
		}
		retry, err := f.post(ctx, client, body)
		if err == nil {
			return nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return last
}

func (f *FluxEvents) post(ctx context.Context, client *http.Client, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.Address, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("post event to %s: %w", f.Address, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return true, fmt.Errorf("post event: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300, resp.StatusCode == http.StatusTooManyRequests:
		return false, nil
	case resp.StatusCode >= 500:
		return true, fmt.Errorf("post event to %s: status %d: %s", f.Address, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return false, fmt.Errorf("post event to %s: status %d: %s", f.Address, resp.StatusCode, strings.TrimSpace(string(b)))
}
