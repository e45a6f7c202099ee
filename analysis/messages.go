package analysis

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// The Flagger event texts of failed checks. {name}.{ns} is the canary's
// Key(); the "no values found" text names the target, as Flagger does.

func haltSuccessRate(key string, v float64, op string, bound float64) string {
	return fmt.Sprintf("Halt %s advancement success rate %.2f%% %s %v%%", key, v, op, bound)
}

func haltDuration(key string, v time.Duration, op string, bound time.Duration) string {
	return fmt.Sprintf("Halt %s advancement request duration %v %s %v", key, v, op, bound)
}

func haltCustom(key, metric string, v float64, op string, bound float64) string {
	return fmt.Sprintf("Halt %s advancement %s %.2f %s %v", key, metric, v, op, bound)
}

func haltNoValuesBuiltin(provider, metric, target, namespace string) string {
	return fmt.Sprintf("Halt advancement no values found for %s metric %s probably %s.%s is not receiving traffic", provider, metric, target, namespace)
}

func haltNoValuesInline(metric string) string {
	return fmt.Sprintf("Halt advancement no values found for metric: %s", metric)
}

func haltNoValuesCustom(metric string) string {
	return fmt.Sprintf("Halt advancement no values found for custom metric: %s: %v", metric, ErrNoValuesFound)
}

func builtinQueryFailed(err error) string {
	return fmt.Sprintf("Prometheus query failed: %v", err)
}

func inlineQueryFailed(metric string, err error) string {
	return fmt.Sprintf("Prometheus query failed for %s: %v", metric, err)
}

func customQueryFailed(metric string, err error) string {
	return fmt.Sprintf("Metric query failed for %s: %v", metric, err)
}

func metricsServerFailed(address string, err error) string {
	return fmt.Sprintf("Error building Prometheus client for %s %v", address, err)
}

func templateFailed(name, namespace string, err error) string {
	return fmt.Sprintf("Metric template %s.%s error: %v", name, namespace, err)
}

func templateRenderFailed(name, namespace string, err error) string {
	return fmt.Sprintf("Metric template %s.%s query render error: %v", name, namespace, err)
}

func templateProviderFailed(name, namespace, provider string, err error) string {
	return fmt.Sprintf("Metric template %s.%s provider %s error: %v", name, namespace, provider, err)
}

// ProvidersCheckFailed is Flagger's event text for metrics servers that
// cannot be reached when a canary is initialized (see CheckProviders).
func ProvidersCheckFailed(err error) string {
	return fmt.Sprintf("Error checking metric providers: %v", err)
}

// Summary lines, one per metric, for the commit body.

func summaryValue(metric string, v string, bounds []string) string {
	if len(bounds) == 0 {
		return metric + " " + v
	}
	return metric + " " + v + " " + strings.Join(bounds, ", ")
}

func summaryNoData(metric string, skipped bool) string {
	if skipped {
		return metric + " no values found, skipped"
	}
	return metric + " no values found"
}

func summaryError(metric string, err error) string {
	return metric + " error: " + oneLine(err.Error())
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// msDuration converts milliseconds to a duration truncated to whole
// milliseconds, as Flagger compares and prints request durations.
func msDuration(ms float64) time.Duration {
	const limit = float64(math.MaxInt64 / int64(time.Millisecond))
	switch {
	case ms > limit:
		ms = limit
	case ms < -limit:
		ms = -limit
	}
	return time.Duration(int64(ms)) * time.Millisecond
}
