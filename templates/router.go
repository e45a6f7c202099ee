package templates

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// A router renders the traffic-routing objects of one provider into one
// file. They are the only objects that depend on the weights, so a weight
// step changes that file and nothing else.
type router interface {
	// file is the name of the file the objects go to.
	file() string
	// objects returns the router objects for the given routing.
	objects(c *api.Canary, n names, r Routing) ([]*yaml.Node, error)
}

// routers maps spec.provider to its router.
var routers = map[string]router{
	"istio": istioRouter{},
}

// RouterFile returns the name of the file that holds the router objects of
// a provider, or "" for a provider that is not supported yet.
func RouterFile(provider string) string {
	if r, ok := routers[provider]; ok {
		return r.file()
	}
	return ""
}

func routerFor(c *api.Canary) (router, error) {
	if r, ok := routers[c.Spec.Provider]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("canary %s: spec.provider: provider %q is %w (supported: %s)",
		c.ID(), c.Spec.Provider, ErrNotSupported, strings.Join(slices.Sorted(maps.Keys(routers)), ", "))
}
