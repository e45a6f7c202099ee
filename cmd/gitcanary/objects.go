package main

import (
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/gitcanary/gitcanary/reconciler"
	"github.com/gitcanary/gitcanary/reconciler/api"
)

// -o json|yaml print what kubectl prints: a v1 List whose items are
// objects with apiVersion, kind and metadata, so `jq .items[].metadata.name`
// and `yq` queries written for kubectl work here.

// Annotations the read commands put on the objects they print.
const (
	annotationFile     = "gitcanary.dev/file"
	annotationConflict = "gitcanary.dev/conflict"
	// annotationTerminated is the commit that terminated a canary no
	// longer in the branch.
	annotationTerminated = "gitcanary.dev/terminated"
	annotationCommit     = "gitcanary.dev/commit"
	annotationAuthor     = "gitcanary.dev/author"
	annotationRevision   = "gitcanary.dev/revision"
	annotationWeight     = "gitcanary.dev/weight"
	annotationFailed     = "gitcanary.dev/failed-checks"
	annotationBody       = "gitcanary.dev/body"
	annotationIterations = "gitcanary.dev/iterations"
	labelCanary          = "gitcanary.dev/canary"
)

// list is a v1 List.
type list struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Items      []any  `json:"items"`
}

func newList(items []any) list {
	if items == nil {
		items = []any{}
	}
	return list{APIVersion: "v1", Kind: "List", Items: items}
}

// canaryObject is a Canary as `kubectl get canary -o yaml` shows one: the
// document as gitcanary read it (defaults applied) and its status.yaml.
type canaryObject struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   api.ObjectMeta `json:"metadata"`
	Spec       api.CanarySpec `json:"spec"`
	Status     api.Status     `json:"status"`
}

func newCanaryObject(info reconciler.CanaryInfo) canaryObject {
	c := info.Canary
	md := c.Metadata
	md.Annotations = maps.Clone(md.Annotations)
	if md.Annotations == nil {
		md.Annotations = map[string]string{}
	}
	md.Annotations[annotationFile] = info.Path
	if info.Conflict != "" {
		md.Annotations[annotationConflict] = info.Conflict
	}
	if info.Terminated != "" {
		md.Annotations[annotationTerminated] = info.Terminated
	}
	return canaryObject{APIVersion: c.APIVersion, Kind: c.Kind, Metadata: md, Spec: c.Spec, Status: info.Status}
}

// eventObject is a canary's commit as a v1 Event, as Flagger records one.
type eventObject struct {
	APIVersion     string          `json:"apiVersion"`
	Kind           string          `json:"kind"`
	Metadata       api.ObjectMeta  `json:"metadata"`
	InvolvedObject objectReference `json:"involvedObject"`
	Reason         string          `json:"reason"`
	Message        string          `json:"message"`
	Type           string          `json:"type"`
	FirstTimestamp time.Time       `json:"firstTimestamp"`
	LastTimestamp  time.Time       `json:"lastTimestamp"`
	Count          int             `json:"count"`
	Source         eventSource     `json:"source"`
}

type objectReference struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace"`
}

type eventSource struct {
	Component string `json:"component"`
}

func newEventObject(info reconciler.CanaryInfo, e reconciler.Transition) eventObject {
	typ := "Normal"
	if e.Phase == api.PhaseFailed || strings.HasPrefix(e.Message, "Halt ") || strings.HasPrefix(e.Message, "Rolling back ") {
		typ = "Warning"
	}
	ann := map[string]string{
		annotationCommit:   e.SHA,
		annotationAuthor:   e.Author,
		annotationRevision: e.Revision,
		annotationWeight:   strconv.Itoa(e.Weight),
		annotationFailed:   strconv.Itoa(e.Failed),
	}
	if e.Body != "" {
		ann[annotationBody] = e.Body
	}
	if e.Iterations != "" {
		ann[annotationIterations] = e.Iterations
	}
	return eventObject{
		APIVersion: "v1", Kind: "Event",
		Metadata:       api.ObjectMeta{Name: info.Name + "." + e.SHA[:7], Namespace: info.Namespace, Annotations: ann},
		InvolvedObject: objectReference{APIVersion: info.Canary.APIVersion, Kind: info.Canary.Kind, Name: info.Name, Namespace: info.Namespace},
		Reason:         string(e.Phase),
		Message:        e.Message,
		Type:           typ,
		FirstTimestamp: e.Time, LastTimestamp: e.Time, Count: 1,
		Source: eventSource{Component: "gitcanary"},
	}
}

// rolloutObject is one rollout of a canary, as `history -o yaml` prints it.
type rolloutObject struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   api.ObjectMeta `json:"metadata"`
	reconciler.Rollout
}

func newRolloutObject(info reconciler.CanaryInfo, r reconciler.Rollout) rolloutObject {
	return rolloutObject{
		APIVersion: api.GroupVersion, Kind: "CanaryRollout",
		Metadata: api.ObjectMeta{Name: info.Name + "-" + r.Revision + "-" + r.FirstSHA[:7], Namespace: info.Namespace,
			Labels: map[string]string{labelCanary: info.Name}},
		Rollout: r,
	}
}
