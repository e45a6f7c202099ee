package api

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// KindCanaryRequest is the kind of request.yaml.
const KindCanaryRequest = "CanaryRequest"

// MaxRequests bounds a canary's queue of pending requests.
const MaxRequests = 16

// RequestActions are the manual requests a canary honours.
var RequestActions = []string{"promote", "abort", "pause", "resume"}

// ErrQueueFull is returned when a canary already has MaxRequests pending.
var ErrQueueFull = errors.New("request queue full")

// Request is a manual request, queued in request.yaml in the canary's
// generated folder by `gitcanary promote|abort|pause|resume`. Passes honour
// the queue in order, one request per pass, each removing the request it
// honoured.
type Request struct {
	Action      string    `json:"action"`
	RequestedBy string    `json:"requestedBy"`
	RequestedAt time.Time `json:"requestedAt"`
}

type requestFile struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   ObjectMeta  `json:"metadata"`
	Spec       requestSpec `json:"spec"`
}

// requestSpec is the queue, oldest first. A request.yaml written before
// queues holds one request inline (spec.action).
type requestSpec struct {
	Requests    []Request `json:"requests,omitempty"`
	Action      string    `json:"action,omitempty"`
	RequestedBy string    `json:"requestedBy,omitempty"`
	RequestedAt time.Time `json:"requestedAt,omitzero"`
}

const requestHeader = "# Written by `gitcanary promote|abort|pause|resume`: pending requests, oldest first.\n# Each pass of `gitcanary run` honours the first one and removes it.\n"

// MarshalRequests renders request.yaml holding the pending requests, oldest
// first. An empty queue has no file: it returns nil.
func MarshalRequests(c *Canary, pending []Request) ([]byte, error) {
	if len(pending) == 0 {
		return nil, nil
	}
	if len(pending) > MaxRequests {
		return nil, fmt.Errorf("canary %s: %d requests pending: %w (at most %d)", c.Key(), len(pending), ErrQueueFull, MaxRequests)
	}
	f := requestFile{APIVersion: GroupVersion, Kind: KindCanaryRequest,
		Metadata: ObjectMeta{Name: c.Metadata.Name, Namespace: c.Metadata.Namespace}}
	for _, rq := range pending {
		rq.RequestedAt = rq.RequestedAt.UTC()
		f.Spec.Requests = append(f.Spec.Requests, rq)
	}
	return encodeFile(requestHeader, f)
}

// UnmarshalRequests parses request.yaml: the pending requests, oldest
// first. Errors are *FieldError values naming the file and the field.
func UnmarshalRequests(path string, data []byte) ([]Request, error) {
	var f requestFile
	if err := decodeFile(path, data, KindCanaryRequest, &f); err != nil {
		return nil, err
	}
	pending := f.Spec.Requests
	if len(pending) == 0 && f.Spec.Action != "" {
		pending = []Request{{Action: f.Spec.Action, RequestedBy: f.Spec.RequestedBy, RequestedAt: f.Spec.RequestedAt}}
	}
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Source: Source{Path: path, Index: wholeFile}, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if why := checkLabel(f.Metadata.Name); why != "" {
		add("metadata.name", "%s", why)
	}
	if why := checkLabel(f.Metadata.Namespace); why != "" {
		add("metadata.namespace", "%s", why)
	}
	if len(pending) > MaxRequests {
		add("spec.requests", "%d requests, more than the %d a canary queues", len(pending), MaxRequests)
	}
	for i, rq := range pending {
		if !slices.Contains(RequestActions, rq.Action) {
			add(fmt.Sprintf("spec.requests[%d].action", i), "must be one of %s, got %q", strings.Join(RequestActions, ", "), rq.Action)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return pending, nil
}

// UnmarshalRequest parses request.yaml and returns its first pending
// request. A pass that honours it must remove only that one from the
// file (see UnmarshalRequests and MarshalRequests).
func UnmarshalRequest(path string, data []byte) (Request, error) {
	pending, err := UnmarshalRequests(path, data)
	if err != nil {
		return Request{}, err
	}
	if len(pending) == 0 {
		return Request{}, &FieldError{Source: Source{Path: path, Index: wholeFile}, Field: "spec.requests", Msg: "no request"}
	}
	return pending[0], nil
}
