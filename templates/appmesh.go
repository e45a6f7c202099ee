package templates

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

const appMeshAPIGroup = "appmesh.k8s.aws"

// appMeshRouter renders what Flagger's App Mesh router (provider appmesh,
// the appmesh.k8s.aws/v1beta1 CRDs) creates, in the mesh of
// spec.service.meshName: VirtualNodes for the apex, the primary and the
// canary, and two VirtualServices, <apex>.<namespace> whose virtual router
// splits between the primary and canary nodes by weight, and
// <apex>-canary.<namespace> that routes to the canary.
type appMeshRouter struct {
	noSource
}

func (appMeshRouter) file() string { return "appmesh.yaml" }

func (appMeshRouter) check(c *api.Canary) []problem {
	out := appMeshMatchProblems(c)
	if c.Spec.Service.MeshName == "" {
		out = append(out, problem{"spec.service.meshName", "is required with provider appmesh: the App Mesh mesh the virtual nodes and services join (or use provider appmesh:v1beta2, which takes the mesh of the namespace)"})
	}
	return out
}

func (appMeshRouter) features() features { return features{match: true, matchWeights: true} }

// appMeshKinds are the header matches App Mesh routes take.
var appMeshKinds = []string{"exact", "prefix", "suffix", "regex"}

func appMeshMatchProblems(c *api.Canary) []problem {
	if a := c.Spec.Analysis; a != nil {
		_, problems := headerMatches(c.Spec.Provider, a.Match, nil, appMeshKinds)
		return problems
	}
	return nil
}

// appMeshRoutes are the routes of the router that splits between the
// primary and the canary, as Flagger's App Mesh routers write them: one
// route by weight; for an A/B test, a route <apex>-a (priority 10) on the
// rule's headers by weight and a route <apex>-b (priority 20) to the
// primary. route builds a route from its name, priority, header matches
// and weighted targets.
func appMeshRoutes(c *api.Canary, n names, r Routing, name string, route func(name string, priority any, headers, targets *yaml.Node) *yaml.Node, target func(node string, weight int) *yaml.Node) (*yaml.Node, error) {
	split := seq(target(n.canarySvc, r.CanaryWeight), target(n.primarySvc, r.PrimaryWeight))
	if len(r.Match) == 0 {
		return seq(route(name, nil, nil, split)), nil
	}
	headers, problems := headerMatches(c.Spec.Provider, r.Match, nil, appMeshKinds)
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: %s", problems[0].field, problems[0].msg)
	}
	hs := seq()
	for _, h := range headers {
		hs.Content = append(hs.Content, mapping("name", h.name, "match", mapping(h.kind, h.value)))
	}
	return seq(route(n.apex+"-a", 10, hs, split), route(n.apex+"-b", 20, nil, seq(target(n.primarySvc, 100)))), nil
}

func (appMeshRouter) objects(c *api.Canary, n names, _ *yaml.RNode, r Routing, _ Options) ([]*yaml.Node, error) {
	s := c.Spec.Service
	listeners := seq(mapping("portMapping", mapping("port", s.Port, "protocol", appMeshProtocol(s))))
	var backends []*yaml.Node
	for _, b := range s.Backends {
		backends = append(backends, mapping("virtualService", mapping("virtualServiceName", b)))
	}
	node := func(name, host string) *yaml.Node {
		return mapping(
			"apiVersion", appMeshAPIGroup+"/v1beta1",
			"kind", "VirtualNode",
			"metadata", meta(name, n.namespace, nil, nil),
			"spec", mapping(
				"meshName", s.MeshName,
				"listeners", listeners,
				"serviceDiscovery", mapping("dns", mapping("hostName", host)),
				"backends", seq(backends...),
			),
		)
	}
	var retryPolicy *yaml.Node
	if rp := appMeshRetries(s); rp != nil {
		retryPolicy = mapping("perRetryTimeoutMillis", rp.perTryTimeout.Milliseconds(), "maxRetries", rp.attempts, "httpRetryPolicyEvents", rp.events)
	}
	service := func(name string, routing Routing, annotations map[string]string) (*yaml.Node, error) {
		router := n.apex
		if routing.CanaryWeight > 0 {
			router = n.canarySvc
		}
		routes, err := appMeshRoutes(c, n, routing, router, func(name string, priority any, headers, targets *yaml.Node) *yaml.Node {
			return mapping(
				"name", name,
				"priority", priority,
				"http", mapping(
					"match", mapping("prefix", uriPrefix(s), "headers", headers),
					"retryPolicy", retryPolicy,
					"action", mapping("weightedTargets", targets),
				),
			)
		}, func(node string, weight int) *yaml.Node {
			return mapping("virtualNodeName", node, "weight", weight)
		})
		return mapping(
			"apiVersion", appMeshAPIGroup+"/v1beta1",
			"kind", "VirtualService",
			"metadata", meta(name, n.namespace, nil, annotations),
			"spec", mapping(
				"meshName", s.MeshName,
				"virtualRouter", mapping("name", router, "listeners", listeners),
				"routes", routes,
			),
		), err
	}
	host := func(svc string) string { return svc + "." + n.namespace }
	apex, err := service(host(n.apex), r, appMeshGatewayAnnotations(s))
	if err != nil {
		return nil, err
	}
	canary, err := service(host(n.canarySvc), Routing{CanaryWeight: 100}, nil)
	if err != nil {
		return nil, err
	}
	return []*yaml.Node{
		node(n.apex, host(n.primarySvc)),
		node(n.primarySvc, host(n.primarySvc)),
		node(n.canarySvc, host(n.canarySvc)),
		apex,
		canary,
	}, nil
}

func (appMeshRouter) weights(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	sn := serviceNamesOf(c)
	vs, err := findRendered(objs, appMeshAPIGroup, "VirtualService", sn.apex+"."+c.Metadata.Namespace, c.Metadata.Namespace)
	if err != nil {
		return Routed{}, err
	}
	routes := elements(at(vs, "spec", "routes"))
	return appMeshTargets(Routed{Object: objectName(vs), Conditional: len(routes) > 1}, routes, sn, "http", "virtualNodeName")
}

// appMeshTargets reads the weighted targets of the first route.
func appMeshTargets(out Routed, routes []*yaml.RNode, sn svcNames, route string, path ...string) (Routed, error) {
	if len(routes) == 0 {
		return out, fmt.Errorf("%s has no routes", out.Object)
	}
	s, err := destinationWeights(at(routes[0], route, "action", "weightedTargets"), out.Object, sn, path...)
	if err != nil {
		return out, err
	}
	if !s.hasPrimary || !s.hasCanary {
		return out, fmt.Errorf("%s does not route to %s and %s", out.Object, sn.primary, sn.canary)
	}
	out.PrimaryWeight, out.CanaryWeight = s.primary, s.canary
	return out, nil
}

// appMeshV1beta2Router renders what Flagger's App Mesh v1beta2 router
// (provider appmesh:v1beta2) creates; the mesh is the one the namespace
// selects. VirtualNodes for the primary and the canary pods, a
// VirtualRouter <apex> splitting between them by weight and a VirtualRouter
// <apex>-canary routing to the canary, and a VirtualService for each.
type appMeshV1beta2Router struct {
	noSource
}

func (appMeshV1beta2Router) file() string { return "appmesh.yaml" }

func (appMeshV1beta2Router) check(c *api.Canary) []problem { return appMeshMatchProblems(c) }

func (appMeshV1beta2Router) features() features { return features{match: true, matchWeights: true} }

func (appMeshV1beta2Router) objects(c *api.Canary, n names, _ *yaml.RNode, r Routing, _ Options) ([]*yaml.Node, error) {
	s := c.Spec.Service
	portMapping := mapping("port", appMeshContainerPort(s), "protocol", appMeshProtocol(s))
	var timeout, listenerTimeout *yaml.Node
	if d, err := time.ParseDuration(s.Timeout); err == nil && s.Timeout != "" {
		timeout = mapping("perRequest", mapping("unit", "ms", "value", d.Milliseconds()))
		listenerTimeout = mapping("http", timeout)
	}
	var backends []*yaml.Node
	for _, b := range s.Backends {
		if strings.HasPrefix(b, "arn:aws") {
			backends = append(backends, mapping("virtualService", mapping("virtualServiceARN", b)))
		} else {
			backends = append(backends, mapping("virtualService", mapping("virtualServiceRef", mapping("name", b))))
		}
	}
	node := func(name, selector string) *yaml.Node {
		return mapping(
			"apiVersion", appMeshAPIGroup+"/v1beta2",
			"kind", "VirtualNode",
			"metadata", meta(name, n.namespace, nil, nil),
			"spec", mapping(
				"podSelector", mapping("matchLabels", map[string]string{n.labelKey: selector}),
				"listeners", seq(mapping("portMapping", portMapping, "timeout", listenerTimeout)),
				"serviceDiscovery", mapping("dns", mapping("hostname", name+"."+n.namespace+".svc.cluster.local.")),
				"backends", seq(backends...),
			),
		)
	}
	var retryPolicy *yaml.Node
	if rp := appMeshRetries(s); rp != nil {
		retryPolicy = mapping(
			"perRetryTimeout", mapping("unit", "ms", "value", rp.perTryTimeout.Milliseconds()),
			"maxRetries", rp.attempts,
			"httpRetryEvents", rp.events,
		)
	}
	router := func(name string, routing Routing) (*yaml.Node, error) {
		routes, err := appMeshRoutes(c, n, routing, name, func(name string, priority any, headers, targets *yaml.Node) *yaml.Node {
			return mapping(
				"name", name,
				"priority", priority,
				"httpRoute", mapping(
					"match", mapping("prefix", uriPrefix(s), "headers", headers),
					"action", mapping("weightedTargets", targets),
					"retryPolicy", retryPolicy,
					"timeout", timeout,
				),
			)
		}, func(node string, weight int) *yaml.Node {
			return mapping("virtualNodeRef", mapping("name", node), "weight", weight)
		})
		return mapping(
			"apiVersion", appMeshAPIGroup+"/v1beta2",
			"kind", "VirtualRouter",
			"metadata", meta(name, n.namespace, nil, nil),
			"spec", mapping(
				"listeners", seq(mapping("portMapping", portMapping)),
				"routes", routes,
			),
		), err
	}
	service := func(name string, annotations map[string]string) *yaml.Node {
		return mapping(
			"apiVersion", appMeshAPIGroup+"/v1beta2",
			"kind", "VirtualService",
			"metadata", meta(name, n.namespace, nil, annotations),
			"spec", mapping("provider", mapping("virtualRouter", mapping("virtualRouterRef", mapping("name", name)))),
		)
	}
	apex, err := router(n.apex, r)
	if err != nil {
		return nil, err
	}
	canary, err := router(n.canarySvc, Routing{CanaryWeight: 100})
	if err != nil {
		return nil, err
	}
	return []*yaml.Node{
		node(n.primarySvc, n.labelValue+"-primary"),
		node(n.canarySvc, n.labelValue),
		apex,
		canary,
		service(n.apex, appMeshGatewayAnnotations(s)),
		service(n.canarySvc, nil),
	}, nil
}

func (appMeshV1beta2Router) weights(objs []*yaml.RNode, c *api.Canary) (Routed, error) {
	sn := serviceNamesOf(c)
	vr, err := findRendered(objs, appMeshAPIGroup, "VirtualRouter", sn.apex, c.Metadata.Namespace)
	if err != nil {
		return Routed{}, err
	}
	routes := elements(at(vr, "spec", "routes"))
	return appMeshTargets(Routed{Object: objectName(vr), Conditional: len(routes) > 1}, routes, sn, "httpRoute", "virtualNodeRef", "name")
}

// appMeshProtocol is grpc for a gRPC port name, else http.
func appMeshProtocol(s api.Service) string {
	if strings.Contains(s.PortName, "grpc") {
		return "grpc"
	}
	return "http"
}

// appMeshContainerPort is the numeric target port, else the port.
func appMeshContainerPort(s api.Service) int64 {
	if tp, err := parseTargetPort(s); err == nil && tp.name == "" && tp.number > 0 {
		return tp.number
	}
	return int64(s.Port)
}

// appMeshRetry is spec.service.retries as App Mesh takes it: one retry on
// gateway errors with a 250ms timeout unless it says otherwise.
type appMeshRetry struct {
	attempts      int
	perTryTimeout time.Duration
	events        []string
}

func appMeshRetries(s api.Service) *appMeshRetry {
	if s.Retries == nil {
		return nil
	}
	rp := &appMeshRetry{attempts: 1, perTryTimeout: 250 * time.Millisecond, events: []string{"gateway-error"}}
	if a, ok := s.Retries["attempts"].(float64); ok && a > 0 {
		rp.attempts = int(a)
	}
	if t, ok := s.Retries["perTryTimeout"].(string); ok {
		if d, err := time.ParseDuration(t); err == nil {
			rp.perTryTimeout = d
		}
	}
	if on, ok := s.Retries["retryOn"].(string); ok && on != "" {
		rp.events = strings.Split(on, ",")
	}
	return rp
}

// appMeshGatewayAnnotations expose the apex VirtualService on the App Mesh
// gateway for the service's hosts.
func appMeshGatewayAnnotations(s api.Service) map[string]string {
	if len(s.Hosts) == 0 {
		return nil
	}
	a := map[string]string{
		"gateway.appmesh.k8s.aws/expose": "true",
		"gateway.appmesh.k8s.aws/domain": strings.Join(s.Hosts, ",") + ",",
	}
	if s.Timeout != "" {
		a["gateway.appmesh.k8s.aws/timeout"] = s.Timeout
	}
	if rp := appMeshRetries(s); rp != nil && s.Retries["attempts"] != nil {
		a["gateway.appmesh.k8s.aws/retries"] = strconv.Itoa(rp.attempts)
	}
	return a
}
