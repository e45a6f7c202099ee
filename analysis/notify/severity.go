package notify

import "fmt"

// Severity is an alert's severity, Flagger's levels.
type Severity string

// Severities.
const (
	SeverityInfo  Severity = "info"
	SeverityWarn  Severity = "warn"
	SeverityError Severity = "error"
)

// ParseSeverity accepts info, warn and error; empty is info, the default of
// a Canary's alert.
func ParseSeverity(s string) (Severity, error) {
	switch Severity(s) {
	case "", SeverityInfo:
		return SeverityInfo, nil
	case SeverityWarn, SeverityError:
		return Severity(s), nil
	}
	return "", fmt.Errorf("unknown severity %q (want info, warn or error)", s)
}

// Includes reports whether an alert of severity s receives a message of
// severity m: info receives everything, warn warnings and errors, error
// only errors.
func (s Severity) Includes(m Severity) bool {
	switch s {
	case "", SeverityInfo:
		return true
	case SeverityWarn:
		return m == SeverityWarn || m == SeverityError
	case SeverityError:
		return m == SeverityError
	}
	return false
}
