package api

import (
	"fmt"
	"slices"
	"time"
)

// KindCanaryRequest is the kind of request.yaml.
const KindCanaryRequest = "CanaryRequest"

// RequestActions are the manual requests a canary honours.
var RequestActions = []string{"promote", "abort", "pause", "resume"}

// Request is a manual request, committed as request.yaml in the canary's
// generated folder by `gitcanary promote|abort|pause|resume`; the next pass
// honours it and removes the file.
type Request struct {
	Action      string    `json:"action"`
	RequestedBy string    `json:"requestedBy"`
	RequestedAt time.Time `json:"requestedAt"`
}

type requestFile struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   ObjectMeta `json:"metadata"`
	Spec       Request    `json:"spec"`
}

// MarshalRequest renders request.yaml.
func MarshalRequest(c *Canary, rq Request) ([]byte, error) {
	f := requestFile{APIVersion: GroupVersion, Kind: KindCanaryRequest,
		Metadata: ObjectMeta{Name: c.Metadata.Name, Namespace: c.Metadata.Namespace}, Spec: rq}
	f.Spec.RequestedAt = rq.RequestedAt.UTC()
	return encodeFile(fmt.Sprintf("# Written by `gitcanary %s`: the next pass honours it and removes this file.\n", rq.Action), f)
}

// UnmarshalRequest parses request.yaml.
func UnmarshalRequest(path string, data []byte) (Request, error) {
	var f requestFile
	if err := decodeFile(path, data, KindCanaryRequest, &f); err != nil {
		return Request{}, err
	}
	if !slices.Contains(RequestActions, f.Spec.Action) {
		return Request{}, fmt.Errorf("%s: spec.action: must be one of promote, abort, pause, resume, got %q", path, f.Spec.Action)
	}
	return f.Spec, nil
}
