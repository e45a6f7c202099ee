package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"
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
	js, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		return nil, err
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		return nil, err
	}
	header := fmt.Sprintf("# Written by `gitcanary %s`: the next pass honours it and removes this file.\n", rq.Action)
	return append([]byte(header), out...), nil
}

// UnmarshalRequest parses request.yaml.
func UnmarshalRequest(path string, data []byte) (Request, error) {
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return Request{}, fmt.Errorf("%s: invalid YAML: %w", path, err)
	}
	js, err := json.Marshal(Normalize(raw))
	if err != nil {
		return Request{}, fmt.Errorf("%s: %w", path, err)
	}
	var f requestFile
	if err := json.Unmarshal(js, &f); err != nil {
		return Request{}, fmt.Errorf("%s: %w", path, err)
	}
	if f.Kind != KindCanaryRequest {
		return Request{}, fmt.Errorf("%s: kind: want %s, got %q", path, KindCanaryRequest, f.Kind)
	}
	if !slices.Contains(RequestActions, f.Spec.Action) {
		return Request{}, fmt.Errorf("%s: spec.action: must be one of promote, abort, pause, resume, got %q", path, f.Spec.Action)
	}
	return f.Spec, nil
}
