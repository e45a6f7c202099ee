package api

// unsupportedField is a Canary field gitcanary knows (Flagger has it) but
// does not implement.
type unsupportedField struct {
	// Field is the field's JSON path, lists written "[]".
	Field string
	// Reject makes a Canary that sets the field invalid, because ignoring
	// it would route traffic other than the user asked for. Otherwise the
	// field is ignored with a warning.
	Reject bool
	// When narrows the entry to some canaries; nil is every canary that
	// sets the field to anything but its zero value.
	When func(*Canary) bool
	// Why says what gitcanary does instead, or what is missing.
	Why string
}

// unsupportedFields is the one list of fields gitcanary knows but does not
// implement. An issue that implements one deletes its entry here.
var unsupportedFields = []unsupportedField{
	{Field: "spec.analysis.primaryReadyThreshold", Why: "gitcanary cannot see pods: spec.gitops.syncGate waits until the cluster has applied a step"},
	{Field: "spec.analysis.canaryReadyThreshold", Why: "gitcanary cannot see pods: spec.gitops.syncGate waits until the cluster has applied a step"},
	{Field: "spec.service.headless", Why: "the generated Services always get a cluster IP"},
	{Field: "spec.service.trafficDistribution", Why: "the generated Services do not set trafficDistribution"},
	{Field: "status", Why: "gitcanary keeps a canary's status in its generated status.yaml"},
	{Field: "spec.analysis.stepWeight", When: withIterations, Why: "A/B testing and blue/green (analysis.iterations) count iterations, they do not shift weights"},
	{Field: "spec.analysis.stepWeights", When: withIterations, Why: "A/B testing and blue/green (analysis.iterations) count iterations, they do not shift weights"},
	{Field: "spec.analysis.maxWeight", When: withIterations, Why: "A/B testing and blue/green (analysis.iterations) count iterations, they do not shift weights"},
}

func withIterations(c *Canary) bool {
	return c.Spec.Analysis != nil && c.Spec.Analysis.Iterations > 0
}

// unsupportedByField indexes unsupportedFields by Field.
var unsupportedByField = func() map[string]*unsupportedField {
	m := make(map[string]*unsupportedField, len(unsupportedFields))
	for i := range unsupportedFields {
		m[unsupportedFields[i].Field] = &unsupportedFields[i]
	}
	return m
}()
