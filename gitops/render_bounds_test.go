package gitops

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// aliasBomb is a ConfigMap whose aliases expand to 9^levels strings:
// "billion laughs" with levels 9.
func aliasBomb(levels int) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n")
	b.WriteString(`  l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
	for i := 1; i <= levels; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(p+",", 9), ","))
	}
	return b.String()
}

// healthyApp and bombApp put an app with one resource into fsys.
func healthyApp(fsys *FS) {
	fsys.Set("apps/healthy/kustomization.yaml", []byte("namespace: test\nresources:\n- deployment.yaml\n"))
	fsys.Set("apps/healthy/deployment.yaml", []byte(appFiles["base/deployment.yaml"]))
}

func bombApp(fsys *FS, levels int) {
	fsys.Set("apps/bomb/kustomization.yaml", []byte("namespace: test\nresources:\n- configmap.yaml\n"))
	fsys.Set("apps/bomb/configmap.yaml", []byte(aliasBomb(levels)))
}

func TestRenderBoundsInput(t *testing.T) {
	t.Parallel()
	big := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: " + strings.Repeat("x", 4096) + "\n"
	tests := []struct {
		name   string
		files  map[string]string
		limits RenderLimits
		want   string
	}{
		{name: "alias bomb in a resource", files: map[string]string{
			"apps/a/kustomization.yaml": "resources:\n- configmap.yaml\n",
			"apps/a/configmap.yaml":     aliasBomb(9),
		}, want: "render apps/a: apps/a/configmap.yaml: document 1: beyond the render limits: YAML aliases expand to more than 1048576 bytes"},
		{name: "alias bomb in a patch", files: map[string]string{
			"apps/a/kustomization.yaml": "resources:\n- cm.yaml\npatches:\n- path: patch.yaml\n",
			"apps/a/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n",
			"apps/a/patch.yaml":         aliasBomb(9),
		}, want: "apps/a/patch.yaml: document 1: beyond the render limits"},
		{name: "alias bomb in the kustomization", files: map[string]string{
			"apps/a/kustomization.yaml": "commonAnnotations: {}\n---\n" + aliasBomb(9),
		}, want: "apps/a/kustomization.yaml: document 2: beyond the render limits"},
		{name: "file too large", files: map[string]string{
			"apps/a/kustomization.yaml": "resources:\n- big.yaml\n",
			"apps/a/big.yaml":           big,
		}, limits: RenderLimits{FileBytes: 4000}, want: "render apps/a: apps/a/big.yaml: beyond the render limits: 4164 bytes, more than 4000"},
		{name: "too much read in all", files: map[string]string{
			"apps/a/kustomization.yaml": "resources:\n- big.yaml\n- big2.yaml\n",
			"apps/a/big.yaml":           big,
			"apps/a/big2.yaml":          strings.Replace(big, "name: big", "name: big2", 1),
		}, limits: RenderLimits{ReadBytes: 6000}, want: "apps/a/big2.yaml: beyond the render limits: the render read"},
		{name: "mapping with too many keys", files: map[string]string{
			"apps/a/kustomization.yaml": "resources:\n- cm.yaml\n",
			"apps/a/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keys\ndata:\n" + strings.Repeat("  k: v\n", 101),
		}, limits: RenderLimits{MappingKeys: 100}, want: "apps/a/cm.yaml: document 1: beyond the render limits: the mapping at line 6 has 101 keys, more than 100"},
		{name: "output too large", files: map[string]string{
			"apps/a/kustomization.yaml": "resources:\n- big.yaml\n",
			"apps/a/big.yaml":           big,
		}, limits: RenderLimits{OutputBytes: 1000}, want: "render apps/a: beyond the render limits: the rendered objects take about"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fsys := NewFS(nil)
			for p, c := range tt.files {
				fsys.Set(p, []byte(c))
			}
			start := time.Now()
			_, err := RenderWith(testContext(t), fsys, "apps/a", RenderOptions{Limits: tt.limits})
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("render = %v, want ErrTooLarge with %q", err, tt.want)
			}
			t.Logf("after %s: %v", time.Since(start).Round(time.Millisecond), err)
		})
	}
}

// A YAML document with a few anchors, as people write them, passes.
func TestCheckYAMLAcceptsOrdinaryAnchors(t *testing.T) {
	t.Parallel()
	doc := `defaults: &defaults
  image: podinfo:6.0.0
  resources: {limits: {cpu: 100m, memory: 64Mi}}
a:
  <<: *defaults
  name: a
b:
  <<: *defaults
  name: b
list: [*defaults, *defaults, *defaults]
`
	if err := CheckYAML([]byte(doc), RenderLimits{}); err != nil {
		t.Fatal(err)
	}
	if err := CheckYAML([]byte("a: [unclosed\n"), RenderLimits{}); err != nil {
		t.Fatalf("not YAML must pass (kustomize reports it): %v", err)
	}
	if err := CheckYAML([]byte(aliasBomb(3)), RenderLimits{AliasExpansion: 100}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a small bomb under a small limit = %v, want ErrTooLarge", err)
	}
}

// CheckYAML passes a file of at most MappingKeys bytes without a '*'
// without parsing it: the parse would find nothing to refuse in such a file,
// even in the densest mappings YAML allows (one-letter keys, empty keys,
// flow style).
func TestCheckYAMLShortcutIsExact(t *testing.T) {
	t.Parallel()
	dense := []string{
		"{a,b,c,d,e,f,g,h}",
		"{: ,a: ,b}",
		"a:\nb:\nc:\nd:\ne:\nf:\n",
		"? a\n? b\n? c\n? d\n",
		"- {a,b}\n- {c,d}\n- {e,f,g}\n",
		"a: &x {b,c}\nd: {e,f}\n",
		"---\n{a,b,c}\n---\n{d,e,f,g}\n",
	}
	for _, doc := range dense {
		for keys := 1; keys <= len(doc)+1; keys++ {
			limits := RenderOptions{Limits: RenderLimits{MappingKeys: keys}}.withDefaults().Limits
			full := checkYAMLDocs([]byte(doc), limits)
			if len(doc) <= keys && full != nil {
				t.Errorf("%q with at most %d keys: the shortcut passes it, the parse refuses it: %v", doc, keys, full)
			}
			if got := CheckYAML([]byte(doc), limits); (got == nil) != (full == nil) {
				t.Errorf("%q with at most %d keys: CheckYAML = %v, the parse = %v", doc, keys, got, full)
			}
		}
	}
	// The parse still runs on a bigger file, and on one with an alias.
	if err := CheckYAML([]byte("{a,b,c,d}"), RenderLimits{MappingKeys: 3}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("4 keys, at most 3: %v, want ErrTooLarge", err)
	}
	if err := CheckYAML([]byte(aliasBomb(3)), RenderLimits{AliasExpansion: 100, MappingKeys: 1 << 20}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a small bomb: %v, want ErrTooLarge", err)
	}
}

// blockingFS is a file system whose reads of one file wait until released:
// a render that takes as long as the test wants.
type blockingFS struct {
	filesys.FileSystem
	file    string
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingFS) ReadFile(name string) ([]byte, error) {
	if strings.HasSuffix(name, b.file) {
		b.once.Do(func() { close(b.entered) })
		<-b.release
	}
	return b.FileSystem.ReadFile(name)
}

// A render past its timeout returns; a render waiting for kustomize's turn
// meanwhile fails after its own timeout, naming the render that holds it,
// and once the slow render ends, renders run again.
func TestRenderTimeoutReleasesTheTurn(t *testing.T) {
	slow := NewFS(nil)
	slow.Set("apps/slow/kustomization.yaml", []byte("resources:\n- deployment.yaml\n"))
	slow.Set("apps/slow/deployment.yaml", []byte(appFiles["base/deployment.yaml"]))
	stuck := &blockingFS{FileSystem: slow, file: "deployment.yaml", entered: make(chan struct{}), release: make(chan struct{})}
	healthy := NewFS(nil)
	healthyApp(healthy)

	_, err := RenderWith(testContext(t), stuck, "apps/slow", RenderOptions{Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrRenderTimeout) {
		t.Fatalf("slow render = %v, want ErrRenderTimeout", err)
	}
	<-stuck.entered
	_, err = RenderWith(testContext(t), healthy, "apps/healthy", RenderOptions{Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrRenderTimeout) || !strings.Contains(err.Error(), "the render of apps/slow") {
		t.Fatalf("render while the slow one holds kustomize = %v, want ErrRenderTimeout naming apps/slow", err)
	}
	close(stuck.release) // the abandoned render's next file access fails
	objs, err := RenderWith(testContext(t), healthy, "apps/healthy", RenderOptions{Timeout: 10 * time.Second})
	if err != nil || len(objs) != 1 {
		t.Fatalf("render after the slow one ended = %d objects, %v", len(objs), err)
	}
}
