package templates

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// services returns the ClusterIP Services gitcanary adds, as Flagger's
// Kubernetes router creates them: the apex Service (unless the app defines
// it) and the primary select the primary pods, the canary Service selects
// the target's.
func services(in Input, n names) ([]*yaml.Node, error) {
	s := in.Canary.Spec.Service
	tp, err := parseTargetPort(s)
	if err != nil {
		return nil, fmt.Errorf("canary %s: %w", in.Canary.ID(), err)
	}
	portName := s.PortName
	if portName == "" {
		portName = "http"
	}
	var extra []containerPort
	if s.PortDiscovery {
		extra = discoverPorts(in.Target, tp)
	}
	svc := func(name, selectorValue string, md *api.CustomMetadata) *yaml.Node {
		labels := map[string]string{}
		var annotations map[string]string
		if md != nil {
			maps.Copy(labels, md.Labels)
			annotations = md.Annotations
		}
		labels[n.labelKey] = name
		ports := seq(mapping(
			"name", portName,
			"protocol", "TCP",
			"appProtocol", s.AppProtocol,
			"port", s.Port,
			"targetPort", tp.node(),
		))
		for _, p := range extra {
			ports.Content = append(ports.Content, mapping("name", p.name, "protocol", "TCP", "port", p.port, "targetPort", p.port))
		}
		return mapping(
			"apiVersion", "v1",
			"kind", "Service",
			"metadata", meta(name, n.namespace, labels, annotations),
			"spec", mapping(
				"type", "ClusterIP",
				"selector", map[string]string{n.labelKey: selectorValue},
				"ports", ports,
			),
		)
	}
	var out []*yaml.Node
	if in.Apex == nil {
		out = append(out, svc(n.apex, n.labelValue+"-primary", s.Apex))
	} else if k, name := in.Apex.GetKind(), in.Apex.GetName(); k != "Service" || name != n.apex {
		return nil, fmt.Errorf("canary %s: spec.service.name is %s, but the apex given is %s %s", in.Canary.ID(), n.apex, k, name)
	}
	out = append(out,
		svc(n.primarySvc, n.labelValue+"-primary", s.Primary),
		svc(n.canarySvc, n.labelValue, s.Canary),
	)
	return out, nil
}

// apexPatch is the JSON 6902 patch that takes over an apex Service the app
// defines: it selects the primary pods, as Flagger sets it. "add" replaces
// the selector, and also works on a Service that has none.
func apexPatch(n names) *yaml.Node {
	return seq(mapping(
		"op", "add",
		"path", "/spec/selector",
		"value", map[string]string{n.labelKey: n.labelValue + "-primary"},
	))
}

// portRef is spec.service.targetPort: a number or a container port name.
type portRef struct {
	number int64
	name   string
}

func (p portRef) node() *yaml.Node {
	if p.name != "" {
		return str(p.name)
	}
	return integer(p.number)
}

// parseTargetPort reads spec.service.targetPort; unset (or 0, as Flagger
// reads it) means spec.service.port.
func parseTargetPort(s api.Service) (portRef, error) {
	def := portRef{number: int64(s.Port)}
	raw := bytes.TrimSpace(s.TargetPort)
	if len(raw) == 0 || string(raw) == "null" {
		return def, nil
	}
	var num int64
	if err := json.Unmarshal(raw, &num); err == nil {
		if num == 0 {
			return def, nil
		}
		return portRef{number: num}, nil
	}
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		if name == "" || name == "0" {
			return def, nil
		}
		return portRef{name: name}, nil
	}
	return portRef{}, fmt.Errorf("spec.service.targetPort: want a port number or name, got %s", raw)
}

// containerPort is a port found by spec.service.portDiscovery.
type containerPort struct {
	name string
	port int64
}

// sidecars are the mesh proxies whose ports port discovery skips.
var sidecars = []string{"istio-proxy", "envoy"}

// discoverPorts lists the target's container ports other than the target
// port, named as Flagger names them (the port name, else
// tcp-<container>-<index>), sorted by name.
func discoverPorts(target *yaml.RNode, tp portRef) []containerPort {
	byName := map[string]int64{}
	containers, _ := target.Pipe(yaml.Lookup("spec", "template", "spec", "containers"))
	cs, _ := containers.Elements()
	for _, c := range cs {
		cname := yaml.GetValue(fieldValue(c, "name"))
		if slices.Contains(sidecars, cname) {
			continue
		}
		ports, _ := c.Pipe(yaml.Lookup("ports"))
		ps, _ := ports.Elements()
		for i, p := range ps {
			num, err := strconv.ParseInt(yaml.GetValue(fieldValue(p, "containerPort")), 10, 64)
			if err != nil {
				continue
			}
			pname := yaml.GetValue(fieldValue(p, "name"))
			if (tp.name == "" && num == tp.number) || (tp.name != "" && pname == tp.name) {
				continue
			}
			if pname == "" {
				pname = fmt.Sprintf("tcp-%s-%d", cname, i)
			}
			byName[pname] = num
		}
	}
	out := make([]containerPort, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, containerPort{name: name, port: byName[name]})
	}
	return out
}

// fieldValue returns the value of a map field, or nil.
func fieldValue(m *yaml.RNode, field string) *yaml.RNode {
	if f := m.Field(field); f != nil {
		return f.Value
	}
	return nil
}
