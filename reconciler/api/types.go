package api

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// API groups and versions gitcanary accepts for Canary documents.
const (
	GroupVersion        = "gitcanary.dev/v1beta1"
	FlaggerV1beta1      = "flagger.app/v1beta1"
	FlaggerV1alpha3     = "flagger.app/v1alpha3"
	KindCanary          = "Canary"
	KindMetricTemplate  = "MetricTemplate"
	KindCanaryStatus    = "CanaryStatus"
	DefaultProvider     = "istio"
	defaultInterval     = 60 * time.Second
	defaultMetricWindow = time.Minute
)

// Canary is one Canary document found in the repository.
type Canary struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   ObjectMeta `json:"metadata"`
	Spec       CanarySpec `json:"spec"`

	// Source says where the document was read from. It is not part of the
	// document.
	Source Source `json:"-"`
	// Warnings name what the document sets that gitcanary ignores: unknown
	// fields (typos), and fields it knows but does not implement. A pass
	// logs them; `validate --strict` makes them errors.
	Warnings []*FieldError `json:"-"`
}

// Source locates a document in the repository.
type Source struct {
	// Path is the repository-relative file path.
	Path string
	// Index is the zero-based position of the document in its file.
	Index int
	// AppDir is the directory holding the kustomization.yaml the Canary
	// belongs to.
	AppDir string
}

// wholeFile is the Source.Index of a problem with a whole file.
const wholeFile = -1

// String renders the location the way error messages name it.
func (s Source) String() string {
	p := s.Path
	if strings.IndexFunc(p, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		// A file name may hold a newline: quoted, it cannot start a line
		// of validate's output (a CI workflow command) or of a commit.
		p = strconv.Quote(p)
	}
	if s.Index == wholeFile {
		return p
	}
	return fmt.Sprintf("%s: document %d", p, s.Index+1)
}

// ObjectMeta is the subset of Kubernetes object metadata gitcanary uses.
type ObjectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Key returns "name.namespace", the form Flagger uses in events and logs.
func (c *Canary) Key() string {
	return c.Metadata.Name + "." + c.Metadata.Namespace
}

// ID returns "namespace/name", the form used in commit trailers.
func (c *Canary) ID() string {
	return c.Metadata.Namespace + "/" + c.Metadata.Name
}

// CanarySpec is Flagger's Canary spec plus the gitops block.
type CanarySpec struct {
	Provider                string          `json:"provider,omitempty"`
	MetricsServer           string          `json:"metricsServer,omitempty"`
	TargetRef               CrossRef        `json:"targetRef"`
	AutoscalerRef           *AutoscalerRef  `json:"autoscalerRef,omitempty"`
	IngressRef              *CrossRef       `json:"ingressRef,omitempty"`
	UpstreamRef             *UpstreamRef    `json:"upstreamRef,omitempty"`
	RouteRef                *CrossRef       `json:"routeRef,omitempty"`
	Service                 Service         `json:"service"`
	Analysis                *Analysis       `json:"analysis,omitempty"`
	CanaryAnalysis          *Analysis       `json:"canaryAnalysis,omitempty"`
	ProgressDeadlineSeconds *int32          `json:"progressDeadlineSeconds,omitempty"`
	SkipAnalysis            bool            `json:"skipAnalysis,omitempty"`
	RevertOnDeletion        bool            `json:"revertOnDeletion,omitempty"`
	Suspend                 bool            `json:"suspend,omitempty"`
	GitOps                  GitOps          `json:"gitops,omitempty"`
	Extra                   json.RawMessage `json:"-"`
}

// CrossRef references another object by kind and name.
type CrossRef struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
}

// UpstreamRef references the Gloo Upstream whose settings the generated
// Upstreams copy (Flagger's CrossNamespaceObjectReference).
type UpstreamRef struct {
	CrossRef  `json:",inline"`
	Namespace string `json:"namespace,omitempty"`
}

// AutoscalerRef references the target's HorizontalPodAutoscaler or KEDA
// ScaledObject.
type AutoscalerRef struct {
	CrossRef              `json:",inline"`
	PrimaryScalerReplicas *ScalerReplicas `json:"primaryScalerReplicas,omitempty"`
	// PrimaryScalerQueries replace, by trigger name, the queries of the
	// primary's copy of a ScaledObject.
	PrimaryScalerQueries map[string]string `json:"primaryScalerQueries,omitempty"`
}

// ScalerReplicas overrides the primary HPA's bounds.
type ScalerReplicas struct {
	MinReplicas *int32 `json:"minReplicas,omitempty"`
	MaxReplicas int32  `json:"maxReplicas,omitempty"`
}

// Service describes the Services and routing gitcanary generates.
type Service struct {
	Name          string          `json:"name,omitempty"`
	Port          int32           `json:"port"`
	PortName      string          `json:"portName,omitempty"`
	TargetPort    json.RawMessage `json:"targetPort,omitempty"`
	AppProtocol   string          `json:"appProtocol,omitempty"`
	Delegation    bool            `json:"delegation,omitempty"`
	MeshName      string          `json:"meshName,omitempty"`
	Backends      []string        `json:"backends,omitempty"`
	PortDiscovery bool            `json:"portDiscovery,omitempty"`
	Gateways      []string        `json:"gateways,omitempty"`
	GatewayRefs   []any           `json:"gatewayRefs,omitempty"`
	Hosts         []string        `json:"hosts,omitempty"`
	TrafficPolicy map[string]any  `json:"trafficPolicy,omitempty"`
	Match         []any           `json:"match,omitempty"`
	Rewrite       map[string]any  `json:"rewrite,omitempty"`
	Retries       map[string]any  `json:"retries,omitempty"`
	Headers       map[string]any  `json:"headers,omitempty"`
	CorsPolicy    map[string]any  `json:"corsPolicy,omitempty"`
	Timeout       string          `json:"timeout,omitempty"`
	Apex          *CustomMetadata `json:"apex,omitempty"`
	Primary       *CustomMetadata `json:"primary,omitempty"`
	Canary        *CustomMetadata `json:"canary,omitempty"`
}

// CustomMetadata adds labels and annotations to generated objects.
type CustomMetadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Analysis is the canary analysis (v1alpha3: canaryAnalysis).
type Analysis struct {
	Interval            Duration `json:"interval,omitempty"`
	Threshold           int      `json:"threshold,omitempty"`
	Iterations          int      `json:"iterations,omitempty"`
	MaxWeight           int      `json:"maxWeight,omitempty"`
	StepWeight          int      `json:"stepWeight,omitempty"`
	StepWeights         []int    `json:"stepWeights,omitempty"`
	StepWeightPromotion int      `json:"stepWeightPromotion,omitempty"`
	Mirror              bool     `json:"mirror,omitempty"`
	MirrorWeight        int      `json:"mirrorWeight,omitempty"`
	Match               []any    `json:"match,omitempty"`
	// SessionAffinity makes the users the canary served stick to it.
	SessionAffinity       *SessionAffinity `json:"sessionAffinity,omitempty"`
	PrimaryReadyThreshold *int             `json:"primaryReadyThreshold,omitempty"`
	CanaryReadyThreshold  *int             `json:"canaryReadyThreshold,omitempty"`
	Metrics               []Metric         `json:"metrics,omitempty"`
	Webhooks              []Hook           `json:"webhooks,omitempty"`
	Alerts                []Alert          `json:"alerts,omitempty"`
}

// SessionAffinity is Flagger's analysis.sessionAffinity: the responses of
// the canary set a cookie, and requests that carry it go to the canary
// (and, with PrimaryCookieName, those the primary served stay on it for an
// analysis interval).
type SessionAffinity struct {
	CookieName        string `json:"cookieName"`
	PrimaryCookieName string `json:"primaryCookieName,omitempty"`
	// MaxAge is the canary cookie's lifetime in seconds (default 86400).
	MaxAge      int    `json:"maxAge,omitempty"`
	Domain      string `json:"domain,omitempty"`
	Path        string `json:"path,omitempty"`
	SameSite    string `json:"sameSite,omitempty"`
	HTTPOnly    bool   `json:"httpOnly,omitempty"`
	Secure      bool   `json:"secure,omitempty"`
	Partitioned bool   `json:"partitioned,omitempty"`
}

// DefaultCookieMaxAge is the canary cookie's lifetime when maxAge is not
// set, as in Flagger: a day.
const DefaultCookieMaxAge = 86400

// Attributes are the cookie's attributes as a Set-Cookie header writes
// them after name=value, for a cookie that lives maxAge seconds:
// "Max-Age=86400; Path=/; HttpOnly".
func (s *SessionAffinity) Attributes(maxAge int) string {
	parts := []string{fmt.Sprintf("Max-Age=%d", maxAge)}
	if s.Domain != "" {
		parts = append(parts, "Domain="+s.Domain)
	}
	if s.Path != "" {
		parts = append(parts, "Path="+s.Path)
	}
	if s.HTTPOnly {
		parts = append(parts, "HttpOnly")
	}
	if s.Secure {
		parts = append(parts, "Secure")
	}
	if s.SameSite != "" {
		parts = append(parts, "SameSite="+s.SameSite)
	}
	if s.Partitioned {
		parts = append(parts, "Partitioned")
	}
	return strings.Join(parts, "; ")
}

// Metric is one check of the analysis.
type Metric struct {
	Name              string            `json:"name"`
	Interval          Duration          `json:"interval,omitempty"`
	ThresholdRange    *Range            `json:"thresholdRange,omitempty"`
	Threshold         *float64          `json:"threshold,omitempty"` // v1alpha3
	Query             string            `json:"query,omitempty"`     // v1alpha3 inline query
	TemplateRef       *TemplateRef      `json:"templateRef,omitempty"`
	TemplateVariables map[string]string `json:"templateVariables,omitempty"`
	// OnNoData is what an empty result means: "fail" (Flagger's behaviour,
	// the default) or "skip". It also decides an inconclusive comparison.
	OnNoData string `json:"onNoData,omitempty"`
	// Compare also judges the canary against its primary on the same
	// query (a gitcanary extension).
	Compare *Compare `json:"compare,omitempty"`
}

// Compare judges a metric of the canary against the same metric of its
// baseline with a Mann-Whitney U test over samples of both.
type Compare struct {
	// Baseline is what the canary is compared with: "primary" (the
	// query rendered with {{ target }} = <target>-primary).
	Baseline string `json:"baseline,omitempty"`
	// Direction is the direction that is worse: "decrease" (success
	// rates) or "increase" (latencies, errors).
	Direction string `json:"direction,omitempty"`
	// Tolerance is how much worse the canary may be: "0.5%" of the
	// baseline's median, or an absolute amount in the metric's unit ("20").
	Tolerance Amount `json:"tolerance,omitempty"`
	// Confidence is how sure the test must be that the canary is worse
	// (default 0.95).
	Confidence float64 `json:"confidence,omitempty"`
	// MinSamples is the fewest samples per side for a verdict (default 5);
	// fewer is inconclusive.
	MinSamples int `json:"minSamples,omitempty"`
}

// Amount is a number or a percentage, written either way in YAML
// (tolerance: 20, tolerance: 0.5%).
type Amount string

// UnmarshalJSON accepts a JSON number or string.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = Amount(s)
		return nil
	}
	var f json.Number
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*a = Amount(f.String())
	return nil
}

// Range bounds a metric value; a nil bound is open.
type Range struct {
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

// TemplateRef references a MetricTemplate document.
type TemplateRef struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// Hook is a Flagger webhook.
type Hook struct {
	Type      string            `json:"type,omitempty"`
	Name      string            `json:"name"`
	URL       string            `json:"url"`
	Timeout   Duration          `json:"timeout,omitempty"`
	Metadata  map[string]string `json:"metadata,omitempty"`
	Retries   int               `json:"retries,omitempty"`
	MuteAlert bool              `json:"muteAlert,omitempty"`
	// DisableTLS skips the verification of the hook's TLS certificate.
	DisableTLS bool `json:"disableTLS,omitempty"`
}

// Alert references an AlertProvider.
type Alert struct {
	Name        string       `json:"name"`
	Severity    string       `json:"severity,omitempty"`
	ProviderRef *TemplateRef `json:"providerRef,omitempty"`
}

// GitOps is gitcanary's own block: how a rollout meets Git.
type GitOps struct {
	SyncGate *SyncGate `json:"syncGate,omitempty"`
	Approval *Approval `json:"approval,omitempty"`
	Rollback *Rollback `json:"rollback,omitempty"`
	Helm     *Helm     `json:"helm,omitempty"`
}

// Helm configures a target that a Helm Operator (helm.fluxcd.io/v1)
// HelmRelease renders: Helm Operator has no post-renderers, so gitcanary
// holds the canary at zero replicas through the chart's values.
type Helm struct {
	// ReplicasValue is the dotted path of the chart value that sets the
	// target's replicas (default replicaCount).
	ReplicasValue string `json:"replicasValue,omitempty"`
}

// ReplicasValue returns the chart value that sets the target's replicas.
func (g GitOps) ReplicasValue() string {
	if g.Helm == nil || g.Helm.ReplicasValue == "" {
		return "replicaCount"
	}
	return g.Helm.ReplicasValue
}

// SyncGate says how to wait for the cluster to apply a step commit.
type SyncGate struct {
	Type    string   `json:"type,omitempty"`
	Context string   `json:"context,omitempty"`
	Timeout Duration `json:"timeout,omitempty"`
	Query   string   `json:"query,omitempty"`
}

// Approval configures pull-request gates.
type Approval struct {
	Rollout         string `json:"rollout,omitempty"`
	Promotion       string `json:"promotion,omitempty"`
	MergeOnApproval bool   `json:"mergeOnApproval,omitempty"`
}

// Rollback configures what a rollback does to the user's files.
type Rollback struct {
	RevertTarget *bool `json:"revertTarget,omitempty"`
}

// RevertTarget reports whether a rollback restores the target's inputs.
func (g GitOps) RevertTarget() bool {
	return g.Rollback == nil || g.Rollback.RevertTarget == nil || *g.Rollback.RevertTarget
}

// Duration is a time.Duration written as a Go duration string ("30s").
type Duration struct {
	time.Duration
}

// UnmarshalJSON accepts "1m30s" strings.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"30s\", got %s", b)
	}
	if s == "" {
		d.Duration = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q", s)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.Duration.String())
}
