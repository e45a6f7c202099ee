// Package templates generates the Kustomize Component that gitcanary keeps for
// one canary in the config repository, under <app dir>/gitcanary/<name>/.
//
// The component does in Git what Flagger does through the Kubernetes API: it
// adds the <target>-primary Deployment with -primary copies of the tracked
// ConfigMaps, Secrets and HorizontalPodAutoscaler (primary.yaml), the apex,
// primary and canary Services (services.yaml), the router objects of the
// provider holding the current weights (istio.yaml, smi.yaml,
// gatewayapi.yaml, nginx.yaml...: see RouterFile), and patches the app's own
// objects: the apex Service, when the app defines it, is made to select the
// primary pods, and the target is scaled to zero while the canary is idle
// (scale-down.yaml). The primary's containers run under placeholder image
// names that images.yaml, a transformer the app's kustomization lists after
// its own images: entries, maps back (see ImagesFile).
//
// Each provider is one router, one file of this package, registered in the
// registry (Lookup): the only list of providers in gitcanary. A router
// generates its objects for a Routing and reads the routing back from
// rendered objects (ReadRouting, the render check); Check validates the
// canary fields it needs.
//
// Every rollout step is a commit, so the output is deterministic: fixed key
// order, two-space indentation, a one-line header comment, everything
// written by the YAML encoder. A weight step changes the router file only.
package templates
