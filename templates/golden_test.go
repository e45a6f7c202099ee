package templates

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

var update = flag.Bool("update", false, "rewrite the expected files under testdata")

// goldenCase is one directory of testdata: input/ holds canary.yaml and
// target.yaml, and optionally configs.yaml, apex.yaml, hpa.yaml or
// scaledobject.yaml, naming.yaml (a Naming: what the app's kustomization
// does to the component's objects),
// source.yaml (the object the router copies: an Ingress, an ApisixRoute...)
// and routing.yaml; expected/ holds the files generated from them.
type goldenCase struct {
	in      Input
	routing Routing
	opts    Options
}

// routingFile is input/routing.yaml. Without it a case renders the idle
// state: all traffic to the primary, the canary scaled down.
type routingFile struct {
	PrimaryWeight int  `yaml:"primaryWeight"`
	CanaryWeight  int  `yaml:"canaryWeight"`
	Mirror        bool `yaml:"mirror"`
	MirrorWeight  int  `yaml:"mirrorWeight"`
	ScaleDown     bool `yaml:"scaleDown"`
	// Match routes by the canary's analysis.match (A/B testing).
	Match bool `yaml:"match"`
	// Cookie is the session-affinity state.
	Cookie *struct {
		Canary            string `yaml:"canary"`
		Attributes        string `yaml:"attributes"`
		Primary           string `yaml:"primary"`
		PrimaryAttributes string `yaml:"primaryAttributes"`
		Previous          string `yaml:"previous"`
	} `yaml:"cookie"`
}

func loadCase(t *testing.T, dir string) goldenCase {
	t.Helper()
	in := filepath.Join(dir, "input")
	canaryPath := filepath.Join(in, "canary.yaml")
	canaries, err := api.ParseCanaries(canaryPath, readFile(t, canaryPath), api.DefaultProvider)
	if err != nil || len(canaries) != 1 {
		t.Fatalf("%s: want one valid Canary, got %d: %v", canaryPath, len(canaries), err)
	}
	c := goldenCase{
		in:      Input{Canary: canaries[0]},
		routing: Routing{PrimaryWeight: 100},
		opts:    Options{ScaleDown: true},
	}
	c.in.Target = one(t, filepath.Join(in, "target.yaml"))
	c.in.Configs = objects(t, filepath.Join(in, "configs.yaml"))
	c.in.Apex = one(t, filepath.Join(in, "apex.yaml"))
	c.in.Autoscaler = one(t, filepath.Join(in, "hpa.yaml"))
	if c.in.Autoscaler == nil {
		c.in.Autoscaler = one(t, filepath.Join(in, "scaledobject.yaml"))
	}
	if b := readFile(t, filepath.Join(in, "naming.yaml")); b != nil {
		if err := yaml.Unmarshal(b, &c.in.Naming); err != nil {
			t.Fatalf("naming.yaml: %v", err)
		}
	}
	c.in.Source = one(t, filepath.Join(in, "source.yaml"))
	if b := readFile(t, filepath.Join(in, "routing.yaml")); b != nil {
		var rf routingFile
		if err := yaml.Unmarshal(b, &rf); err != nil {
			t.Fatalf("routing.yaml: %v", err)
		}
		c.routing = Routing{PrimaryWeight: rf.PrimaryWeight, CanaryWeight: rf.CanaryWeight, Mirror: rf.Mirror, MirrorWeight: rf.MirrorWeight}
		if rf.Match {
			c.routing.Match = canaries[0].Spec.Analysis.Match
		}
		if ck := rf.Cookie; ck != nil {
			c.routing.Cookie = &Cookie{Canary: ck.Canary, Attributes: ck.Attributes, Primary: ck.Primary, PrimaryAttributes: ck.PrimaryAttributes, Previous: ck.Previous}
		}
		c.opts = Options{ScaleDown: rf.ScaleDown}
	}
	return c
}

// readFile returns nil for a file that does not exist.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// objects parses the YAML documents of a file, which may be missing.
func objects(t *testing.T, path string) []*yaml.RNode {
	t.Helper()
	b := readFile(t, path)
	if b == nil {
		return nil
	}
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(b), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return nodes
}

// one parses a file holding a single object; nil if the file is missing.
func one(t *testing.T, path string) *yaml.RNode {
	t.Helper()
	nodes := objects(t, path)
	if nodes == nil {
		return nil
	}
	if len(nodes) != 1 {
		t.Fatalf("%s: want one object, got %d", path, len(nodes))
	}
	return nodes[0]
}

// generate returns every file of the component folder.
func generate(t *testing.T, c goldenCase) map[string][]byte {
	t.Helper()
	return componentFiles(t, c.in, c.routing, c.opts)
}

// componentFiles returns every file of the component folder, primary.yaml
// included.
func componentFiles(t *testing.T, in Input, r Routing, o Options) map[string][]byte {
	t.Helper()
	files, err := Component(in, r, o)
	if err != nil {
		t.Fatalf("Component: %v", err)
	}
	primary, err := Primary(in)
	if err != nil {
		t.Fatalf("Primary: %v", err)
	}
	files[PrimaryFile] = primary
	images, err := Images(in, primary)
	if err != nil {
		t.Fatalf("Images: %v", err)
	}
	if images != nil {
		files[ImagesFile] = images
	}
	return files
}

func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/input")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	for _, in := range dirs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			got := generate(t, loadCase(t, dir))
			expected := filepath.Join(dir, "expected")
			if *update {
				if err := os.RemoveAll(expected); err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(expected, 0o755); err != nil {
					t.Fatal(err)
				}
				for name, b := range got {
					if err := os.WriteFile(filepath.Join(expected, name), b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			entries, err := os.ReadDir(expected)
			if err != nil {
				t.Fatalf("%v (run go test ./templates -update to create it)", err)
			}
			var want []string
			for _, e := range entries {
				want = append(want, e.Name())
				b, ok := got[e.Name()]
				if !ok {
					t.Errorf("%s: not generated", e.Name())
					continue
				}
				if exp := readFile(t, filepath.Join(expected, e.Name())); !bytes.Equal(b, exp) {
					t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", e.Name(), expected, b, exp)
				}
			}
			for name := range got {
				if !slices.Contains(want, name) {
					t.Errorf("%s: generated, but not in %s", name, expected)
				}
			}
		})
	}
}
