package templates

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// basicInput is the input of testdata/basic.
func basicInput(t *testing.T) Input {
	t.Helper()
	return loadCase(t, "testdata/basic").in
}

// A weight step is a commit that must touch the router file only.
func TestWeightStepChangesRouterFileOnly(t *testing.T) {
	in := basicInput(t)
	for _, o := range []Options{{ScaleDown: false}, {ScaleDown: true}} {
		before, err := Component(in, Routing{PrimaryWeight: 100}, o)
		if err != nil {
			t.Fatal(err)
		}
		after, err := Component(in, Routing{PrimaryWeight: 90, CanaryWeight: 10}, o)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after))) {
			t.Fatalf("files differ: %v, then %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
		}
		for name := range before {
			changed := !bytes.Equal(before[name], after[name])
			if changed != (name == RouterFile("istio")) {
				t.Errorf("ScaleDown %v: %s changed: %v", o.ScaleDown, name, changed)
			}
		}
	}
}

// Go maps iterate in random order; the output must not.
func TestDeterministic(t *testing.T) {
	in := loadCase(t, "testdata/service-options").in
	first, err := Component(in, Routing{PrimaryWeight: 80, CanaryWeight: 20}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	primary, err := Primary(in)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := Component(in, Routing{PrimaryWeight: 80, CanaryWeight: 20}, Options{})
		if !maps.EqualFunc(first, again, bytes.Equal) {
			t.Fatal("Component output changed between two calls")
		}
		if p, _ := Primary(in); !bytes.Equal(p, primary) {
			t.Fatal("Primary output changed between two calls")
		}
	}
}

// The input objects belong to the caller: generating must not change them.
func TestInputUnchanged(t *testing.T) {
	c := loadCase(t, "testdata/configs")
	before := c.in.Target.MustString()
	if _, err := Primary(c.in); err != nil {
		t.Fatal(err)
	}
	if _, err := Component(c.in, c.routing, c.opts); err != nil {
		t.Fatal(err)
	}
	if after := c.in.Target.MustString(); after != before {
		t.Errorf("target changed:\n%s", after)
	}
}

func TestTCP(t *testing.T) {
	in := basicInput(t)
	in.Canary.Spec.Service.AppProtocol = "TCP"
	in.Canary.Spec.Service.Match = []any{map[string]any{"port": float64(9898)}}
	files, err := Component(in, Routing{PrimaryWeight: 70, CanaryWeight: 30}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	vs := find(t, parse(t, files[RouterFile("istio")]), "VirtualService", "podinfo")
	if get(vs, "spec", "http") != nil {
		t.Error("a TCP service has no http routes")
	}
	expect(t, vs, "9898", "spec", "tcp", "0", "match", "0", "port")
	expect(t, vs, "70", "spec", "tcp", "0", "route", "0", "weight")
	expect(t, vs, "30", "spec", "tcp", "0", "route", "1", "weight")
	// The render check reads the weights of the tcp route.
	if err := CheckRouting(parse(t, files[RouterFile("istio")]), in.Canary, Routing{PrimaryWeight: 70, CanaryWeight: 30}); err != nil {
		t.Error(err)
	}
}

func TestHostsAndGateways(t *testing.T) {
	tests := []struct {
		hosts, gateways         []string
		wantHosts, wantGateways string
	}{
		{nil, nil, "[podinfo]", "[mesh]"},
		{[]string{"app.example.com"}, []string{"gw"}, "[app.example.com podinfo]", "[gw]"},
		{[]string{"podinfo", "x"}, nil, "[podinfo x]", "[mesh]"},
		{[]string{"*"}, []string{"gw", "mesh"}, "[*]", "[gw mesh]"},
	}
	for _, tt := range tests {
		in := basicInput(t)
		in.Canary.Spec.Service.Hosts = tt.hosts
		in.Canary.Spec.Service.Gateways = tt.gateways
		files, err := Component(in, Routing{PrimaryWeight: 100}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		vs := find(t, parse(t, files[RouterFile("istio")]), "VirtualService", "podinfo")
		if got := strings.Join(scalars(get(vs, "spec", "hosts")), " "); "["+got+"]" != tt.wantHosts {
			t.Errorf("hosts %v: got [%s], want %s", tt.hosts, got, tt.wantHosts)
		}
		if got := strings.Join(scalars(get(vs, "spec", "gateways")), " "); "["+got+"]" != tt.wantGateways {
			t.Errorf("gateways %v: got [%s], want %s", tt.gateways, got, tt.wantGateways)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Input, *Routing)
		want    string
		wantErr error
	}{
		{
			name:    "unknown provider",
			change:  func(in *Input, _ *Routing) { in.Canary.Spec.Provider = "envoy" },
			want:    `canary test/podinfo: spec.provider: unknown provider "envoy" (known: istio`,
			wantErr: ErrUnknownProvider,
		},
		{
			name:    "provider without a router",
			change:  func(in *Input, _ *Routing) { in.Canary.Spec.Provider = "knative" },
			want:    `canary test/podinfo: spec.provider: not supported yet: knative (a Knative Service routes its own revisions; gitcanary's targets are Deployments)`,
			wantErr: ErrNotSupported,
		},
		{
			name:   "weights that do not add up to 100",
			change: func(_ *Input, r *Routing) { *r = Routing{PrimaryWeight: 90, CanaryWeight: 20} },
			want:   "routing: weights must be between 0 and 100 and add up to 100, got primary 90 and canary 20",
		},
		{
			name:   "negative weight",
			change: func(_ *Input, r *Routing) { *r = Routing{PrimaryWeight: 110, CanaryWeight: -10} },
			want:   "routing: weights must be between 0 and 100",
		},
		{
			name:   "mirror weight",
			change: func(_ *Input, r *Routing) { r.Mirror, r.MirrorWeight = true, 101 },
			want:   "routing: mirror weight must be between 0 and 100, got 101",
		},
		{
			name:   "another target",
			change: func(in *Input, _ *Routing) { in.Canary.Spec.TargetRef.Name = "other" },
			want:   "canary test/podinfo: spec.targetRef is Deployment other, but the target given is Deployment podinfo",
		},
		{
			name:   "no target",
			change: func(in *Input, _ *Routing) { in.Target = nil },
			want:   "canary test/podinfo: no target given",
		},
		{
			name: "no selector label",
			change: func(in *Input, _ *Routing) {
				in.Target = deployment(t, "  selector:\n    matchLabels:\n      tier: web\n")
			},
			want:    "Deployment test/podinfo: spec.selector.matchLabels must contain one of",
			wantErr: ErrNoSelectorLabel,
		},
		{
			name: "apex that is not the service",
			change: func(in *Input, _ *Routing) {
				in.Apex = yaml.MustParse("apiVersion: v1\nkind: Service\nmetadata:\n  name: other\n")
			},
			want: "canary test/podinfo: spec.service.name is podinfo, but the apex given is Service other",
		},
		{
			name:   "bad target port",
			change: func(in *Input, _ *Routing) { in.Canary.Spec.Service.TargetPort = json.RawMessage(`{"a":1}`) },
			want:   `canary test/podinfo: spec.service.targetPort: want a port number or name, got {"a":1}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := basicInput(t)
			r := Routing{PrimaryWeight: 100}
			tt.change(&in, &r)
			_, err := Component(in, r, Options{ScaleDown: true})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("got error %v, want %q", err, tt.want)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v does not wrap %v", err, tt.wantErr)
			}
		})
	}
}

func TestPrimaryErrors(t *testing.T) {
	c := loadCase(t, "testdata/hpa")
	c.in.Autoscaler = nil
	if _, err := Primary(c.in); err == nil || err.Error() != "canary test/podinfo: spec.autoscalerRef: HorizontalPodAutoscaler podinfo is not part of the app" {
		t.Errorf("no HPA: got %v", err)
	}
	c = loadCase(t, "testdata/hpa")
	c.in.Canary.Spec.AutoscalerRef.Kind = "VerticalPodAutoscaler"
	if _, err := Primary(c.in); !errors.Is(err, ErrNotSupported) {
		t.Errorf("VerticalPodAutoscaler: got %v, want ErrNotSupported", err)
	}
}

func TestTargetPort(t *testing.T) {
	tests := []struct {
		raw  string
		want string
	}{
		{"", "9898"},
		{"0", "9898"},
		{`"0"`, "9898"},
		{"8080", "8080"},
		{`"http"`, "http"},
		{`"8080"`, `"8080"`}, // a string stays a string: a named port
	}
	for _, tt := range tests {
		in := basicInput(t)
		in.Canary.Spec.Service.TargetPort = json.RawMessage(tt.raw)
		files, err := Component(in, Routing{PrimaryWeight: 100}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if line := "    targetPort: " + tt.want + "\n"; !bytes.Contains(files[ServicesFile], []byte(line)) {
			t.Errorf("targetPort %s: want %q in\n%s", tt.raw, line, files[ServicesFile])
		}
	}
}

func TestRouterFile(t *testing.T) {
	for provider, want := range map[string]string{
		"istio":              "istio.yaml",
		"linkerd":            "smi.yaml",
		"smi:v1alpha3:osm":   "smi.yaml",
		"gatewayapi:v1beta1": "gatewayapi.yaml",
		"nginx":              "nginx.yaml",
		"kubernetes":         "",
		"appmesh:v1beta2":    "appmesh.yaml",
		"knative":            "",
		"unknown":            "",
	} {
		if got := RouterFile(provider); got != want {
			t.Errorf("%s: got %q, want %q", provider, got, want)
		}
	}
}

func parse(t *testing.T, b []byte) []*yaml.RNode {
	t.Helper()
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(b), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

func scalars(seq *yaml.RNode) []string {
	var out []string
	if seq == nil {
		return nil
	}
	for _, n := range seq.YNode().Content {
		out = append(out, n.Value)
	}
	return out
}

func TestDiscoverPorts(t *testing.T) {
	tests := []struct {
		target string
		tp     portRef
		want   []containerPort
	}{
		{"kind: Deployment\n", portRef{number: 80}, []containerPort{}},
		{
			target: `kind: Deployment
spec:
  template:
    spec:
      containers:
      - ports:
        - containerPort: 80
        - containerPort: 81
        - {name: admin, containerPort: 9000}
      - name: envoy
        ports:
        - {name: stats, containerPort: 15090}
`,
			tp:   portRef{number: 80},
			want: []containerPort{{"admin", 9000}, {"tcp--1", 81}},
		},
		{
			target: "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        ports:\n        - {name: http, containerPort: 8080}\n        - {name: grpc, containerPort: 9090}\n",
			tp:     portRef{name: "http"},
			want:   []containerPort{{"grpc", 9090}},
		},
	}
	for _, tt := range tests {
		got := discoverPorts(yaml.MustParse(tt.target), tt.tp)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.target, got, tt.want)
		}
	}
}
