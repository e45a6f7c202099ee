package templates

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// kubernetesRouter is Flagger's kubernetes provider: no router, only the
// apex, primary and canary Services. The apex Service selects the primary
// pods, so all traffic goes to the primary: there are no weights to shift,
// and a release is blue/green (analysis.iterations), the canary being
// tested through its own Service.
type kubernetesRouter struct {
	noSource
	weightsOnly
}

func (kubernetesRouter) file() string { return "" }

func (kubernetesRouter) check(c *api.Canary) []problem {
	const why = "provider kubernetes has no router to shift traffic with: it does blue/green only (set analysis.iterations instead)"
	a := c.Spec.Analysis
	var out []problem
	if a != nil && a.StepWeight > 0 {
		out = append(out, problem{"spec.analysis.stepWeight", why})
	}
	if a != nil && len(a.StepWeights) > 0 {
		out = append(out, problem{"spec.analysis.stepWeights", why})
	}
	if a != nil && a.Iterations == 0 {
		out = append(out, problem{"spec.analysis.iterations", "is required with provider kubernetes: it has no router to shift traffic with, it does blue/green only"})
	}
	if a != nil && a.StepWeightPromotion > 0 {
		out = append(out, problem{"spec.analysis.stepWeightPromotion", "provider kubernetes has no router: all traffic stays on the primary, which the promotion updates"})
	}
	return out
}

func (kubernetesRouter) objects(c *api.Canary, _ names, _ *yaml.RNode, r Routing, _ Options) ([]*yaml.Node, error) {
	if r.CanaryWeight != 0 {
		return nil, fmt.Errorf("provider kubernetes cannot route %d%% of the traffic to the canary: it has no router", r.CanaryWeight)
	}
	return nil, nil
}

// weights checks that the apex Service selects what the primary Service
// selects: then all traffic goes to the primary.
func (kubernetesRouter) weights(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	sn := serviceNamesOf(c)
	ns := c.Metadata.Namespace
	apex, err := findRendered(objs, "", "Service", sn.apex, ns)
	if err != nil {
		return Routed{}, err
	}
	primary, err := findRendered(objs, "", "Service", sn.primary, ns)
	if err != nil {
		return Routed{}, err
	}
	out := Routed{Object: objectName(apex)}
	a, p := nodeString(at(apex, "spec", "selector")), nodeString(at(primary, "spec", "selector"))
	if a != p {
		return out, fmt.Errorf("%s does not select the primary pods: selector %q, the primary's is %q", out.Object, a, p)
	}
	out.PrimaryWeight = 100
	return out, nil
}
