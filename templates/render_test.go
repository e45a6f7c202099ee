package templates

import (
	"bytes"
	"path"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/api/apitest"
)

// The app's Deployment has no namespace of its own: the kustomization sets
// it, after the component's patches have run.
const renderDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  labels:
    app: podinfo
spec:
  replicas: 2
  selector:
    matchLabels:
      app: podinfo
  template:
    metadata:
      labels:
        app: podinfo
    spec:
      containers:
      - name: podinfod
        image: ghcr.io/stefanprodan/podinfo:6.0.0
        envFrom:
        - configMapRef:
            name: podinfo-config
      volumes:
      - name: config
        configMap:
          name: podinfo-config
`

const renderService = `apiVersion: v1
kind: Service
metadata:
  name: podinfo
spec:
  selector:
    app: podinfo
  ports:
  - name: http
    port: 9898
`

const renderConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: podinfo-config
data:
  PODINFO_UI_MESSAGE: hello
`

// TestRender is the proof that the generated component works: an app that
// includes it renders, with kustomize, to the objects Flagger would have
// created, with the weights asked for.
func TestRender(t *testing.T) {
	tests := []struct {
		name    string
		kust    string // the app's kustomization.yaml, without components
		files   map[string]string
		routing Routing
		opts    Options
		// configName is the rendered name of the target's ConfigMap.
		configName func(rendered []*yaml.RNode) string
	}{
		{
			name: "idle, the app defines the apex service",
			kust: "namespace: test\nresources:\n- deployment.yaml\n- service.yaml\n- configmap.yaml\n",
			files: map[string]string{
				"deployment.yaml": renderDeployment,
				"service.yaml":    renderService,
				"configmap.yaml":  renderConfigMap,
			},
			routing: Routing{PrimaryWeight: 100},
			opts:    Options{ScaleDown: true},
		},
		{
			name: "analysis at 10%, the component adds the apex service",
			kust: "namespace: test\nresources:\n- deployment.yaml\n- configmap.yaml\n",
			files: map[string]string{
				"deployment.yaml": renderDeployment,
				"configmap.yaml":  renderConfigMap,
			},
			routing: Routing{PrimaryWeight: 90, CanaryWeight: 10},
		},
		{
			name: "mirroring, config from a generator with a hash suffix",
			kust: "namespace: test\nresources:\n- deployment.yaml\n- service.yaml\n" +
				"configMapGenerator:\n- name: podinfo-config\n  literals:\n  - PODINFO_UI_MESSAGE=hello\n",
			files: map[string]string{
				"deployment.yaml": renderDeployment,
				"service.yaml":    renderService,
			},
			routing: Routing{PrimaryWeight: 100, Mirror: true, MirrorWeight: 20},
			opts:    Options{ScaleDown: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := filesys.MakeFsInMemory()
			for name, content := range tt.files {
				write(t, fs, path.Join("/app", name), content)
			}
			write(t, fs, "/app/kustomization.yaml", tt.kust)
			before := render(t, fs)

			c := apitest.Canary(t, "    interval: 1m\n    stepWeight: 10\n")
			target := find(t, before, "Deployment", "podinfo")
			configs, err := ReferencedConfigs(target, before)
			if err != nil {
				t.Fatal(err)
			}
			if len(configs) != 1 || configs[0].GetKind() != "ConfigMap" || !strings.HasPrefix(configs[0].GetName(), "podinfo-config") {
				t.Fatalf("ReferencedConfigs: want the podinfo-config ConfigMap, got %v", objectNames(configs))
			}
			configName := configs[0].GetName()
			in := Input{Canary: c, Target: target, Configs: configs, Apex: lookup(before, "Service", "podinfo")}
			after := renderWith(t, fs, tt.kust, c, componentFiles(t, in, tt.routing, tt.opts))

			// The primary Deployment selects and labels its own pods, and
			// uses the primary copy of the ConfigMap.
			p := find(t, after, "Deployment", "podinfo-primary")
			expect(t, p, "podinfo-primary", "spec", "selector", "matchLabels", "app")
			expect(t, p, "podinfo-primary", "spec", "template", "metadata", "labels", "app")
			expect(t, p, configName+"-primary", "spec", "template", "spec", "containers", "[name=podinfod]", "envFrom", "0", "configMapRef", "name")
			expect(t, p, configName+"-primary", "spec", "template", "spec", "volumes", "[name=config]", "configMap", "name")
			expect(t, p, "2", "spec", "replicas")
			expect(t, p, "ghcr.io/stefanprodan/podinfo:6.0.0", "spec", "template", "spec", "containers", "[name=podinfod]", "image")
			expect(t, p, "test", "metadata", "namespace")
			cm := find(t, after, "ConfigMap", configName+"-primary")
			expect(t, cm, "hello", "data", "PODINFO_UI_MESSAGE")

			// The target is the canary: scaled to zero while idle.
			replicas := "2"
			if tt.opts.ScaleDown {
				replicas = "0"
			}
			d := find(t, after, "Deployment", "podinfo")
			expect(t, d, replicas, "spec", "replicas")
			expect(t, d, "podinfo", "spec", "selector", "matchLabels", "app")

			// One apex Service, taken over by the primary.
			apex := find(t, after, "Service", "podinfo")
			expect(t, apex, "podinfo-primary", "spec", "selector", "app")
			expect(t, apex, "9898", "spec", "ports", "[name=http]", "port")
			expect(t, find(t, after, "Service", "podinfo-primary"), "podinfo-primary", "spec", "selector", "app")
			expect(t, find(t, after, "Service", "podinfo-canary"), "podinfo", "spec", "selector", "app")

			// The router carries the weights.
			vs := find(t, after, "VirtualService", "podinfo")
			expect(t, vs, "podinfo-primary", "spec", "http", "0", "route", "0", "destination", "host")
			expect(t, vs, strconv.Itoa(tt.routing.PrimaryWeight), "spec", "http", "0", "route", "0", "weight")
			expect(t, vs, "podinfo-canary", "spec", "http", "0", "route", "1", "destination", "host")
			expect(t, vs, strconv.Itoa(tt.routing.CanaryWeight), "spec", "http", "0", "route", "1", "weight")
			if tt.routing.Mirror {
				expect(t, vs, "podinfo-canary", "spec", "http", "0", "mirror", "host")
				expect(t, vs, strconv.Itoa(tt.routing.MirrorWeight), "spec", "http", "0", "mirrorPercentage", "value")
			} else if m := get(vs, "spec", "http", "0", "mirror"); m != nil {
				t.Errorf("VirtualService: unexpected mirror %s", m.MustString())
			}
			expect(t, find(t, after, "DestinationRule", "podinfo-primary"), "podinfo-primary", "spec", "host")
			expect(t, find(t, after, "DestinationRule", "podinfo-canary"), "podinfo-canary", "spec", "host")

			// Nothing else is added: the app's objects, plus the primary
			// Deployment and ConfigMap, the primary and canary Services
			// (and the apex), the VirtualService and two DestinationRules.
			added := 7
			if in.Apex == nil {
				added++
			}
			if len(after) != len(before)+added {
				t.Errorf("rendered %d objects, want %d: %v", len(after), len(before)+added, objectNames(after))
			}
		})
	}
}

// renderWith writes the component files into /app's component folder,
// wires the folder (and ImagesFile, as a transformer) into /app's
// kustomization kust, and renders /app.
func renderWith(t *testing.T, fs filesys.FileSystem, kust string, c *api.Canary, files map[string][]byte) []*yaml.RNode {
	t.Helper()
	for name, b := range files {
		write(t, fs, path.Join("/app", Dir(c), name), string(b))
	}
	wiring := "components:\n- " + Dir(c) + "\n"
	if _, ok := files[ImagesFile]; ok {
		wiring += "transformers:\n- " + path.Join(Dir(c), ImagesFile) + "\n"
	}
	write(t, fs, "/app/kustomization.yaml", kust+wiring)
	return render(t, fs)
}

func write(t *testing.T, fs filesys.FileSystem, name, content string) {
	t.Helper()
	if err := fs.WriteFile(name, []byte(content)); err != nil {
		t.Fatal(err)
	}
}

// render builds /app with kustomize, as Flux's kustomize-controller does.
func render(t *testing.T, fs filesys.FileSystem) []*yaml.RNode {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/app")
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	b, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(b), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

func lookup(objs []*yaml.RNode, kind, name string) *yaml.RNode {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func find(t *testing.T, objs []*yaml.RNode, kind, name string) *yaml.RNode {
	t.Helper()
	var found *yaml.RNode
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			if found != nil {
				t.Fatalf("%s %s rendered twice", kind, name)
			}
			found = o
		}
	}
	if found == nil {
		t.Fatalf("%s %s not rendered; got %v", kind, name, objectNames(objs))
	}
	return found
}

func get(o *yaml.RNode, path ...string) *yaml.RNode {
	v, err := o.Pipe(yaml.Lookup(path...))
	if err != nil {
		return nil
	}
	return v
}

// expect checks the scalar at path.
func expect(t *testing.T, o *yaml.RNode, want string, path ...string) {
	t.Helper()
	v := get(o, path...)
	if v == nil {
		t.Errorf("%s: %s is missing, want %q", objectName(o), strings.Join(path, "."), want)
		return
	}
	if got := v.YNode().Value; got != want {
		t.Errorf("%s: %s is %q, want %q", objectName(o), strings.Join(path, "."), got, want)
	}
}

func objectNames(objs []*yaml.RNode) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	return out
}
