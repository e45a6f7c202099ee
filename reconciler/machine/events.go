package machine

import (
	"fmt"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// Event is one Flagger event (api.Event).
type Event = api.Event

func info(format string, args ...any) Event {
	return Event{Text: fmt.Sprintf(format, args...)}
}

func warning(format string, args ...any) Event {
	return Event{Text: fmt.Sprintf(format, args...), Warning: true}
}

// Flagger's event texts (REFERENCE.md, "Event texts").

func evInitialized(c *api.Canary) Event { return info("Initialization done! %s", c.Key()) }
func evNewRevision(c *api.Canary) Event { return info("New revision detected! Scaling up %s", c.Key()) }
func evRestart(c *api.Canary) Event {
	return info("New revision detected! Restarting analysis for %s", c.Key())
}
func evStarting(c *api.Canary) Event { return info("Starting canary analysis for %s", c.Key()) }
func evAdvance(c *api.Canary, w int) Event {
	return info("Advance %s canary weight %d", c.Key(), w)
}
func evAdvancePrimary(c *api.Canary, w int) Event {
	return info("Advance %s primary weight %d", c.Key(), w)
}

// evCopying names the primary as it renders (obs.Primary: with the app's
// nameSuffix, podinfo-primary-v1), the object users find in the cluster,
// where Flagger writes <target>-primary.
func evCopying(c *api.Canary, obs Observation) Event {
	primary := obs.Primary
	if primary == "" {
		primary = c.Spec.TargetRef.Name + "-primary"
	}
	return info("Copying %s template spec to %s.%s", c.Key(), primary, c.Metadata.Namespace)
}
func evRoutingPrimary() Event        { return info("Routing all traffic to primary") }
func evPromoted(c *api.Canary) Event { return info("Promotion completed! Scaling down %s", c.Key()) }
func evSkipped(c *api.Canary) Event {
	return info("Promotion completed! Canary analysis was skipped for %s", c.Key())
}
func evCanaryFailed(c *api.Canary) Event { return warning("Canary failed! Scaling down %s", c.Key()) }
func evRollback(c *api.Canary, n int) Event {
	return warning("Rolling back %s failed checks threshold reached %d", c.Key(), n)
}
func evProvidersAvailable() Event { return info("all the metrics providers are available!") }
func evProvidersError(err string) Event {
	return warning("Error checking metric providers: %s", err)
}
func evIteration(c *api.Canary, i, n int) Event {
	return info("Advance %s canary iteration %d/%d", c.Key(), i, n)
}
func evStartMirroring() Event { return info("Start traffic mirroring") }

// evMirrorStep is Flagger's log of the canary strategy's mirror step.
func evMirrorStep(primary, canary int, mirrored bool) Event {
	return info("Running mirror step %d/%d/%t", primary, canary, mirrored)
}
