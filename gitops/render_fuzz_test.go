package gitops

import (
	"context"
	"errors"
	"testing"
	"time"
)

// FuzzRenderInput renders an app whose resource is the fuzzed bytes, under
// small limits: the bounded pre-check (CheckYAML) must never panic or run
// long, refuse only with ErrTooLarge, and whatever it lets through must
// render (or fail) within the timeout and the output bound, without
// crashing kustomize's caller.
func FuzzRenderInput(f *testing.F) {
	f.Add([]byte(appFiles["base/deployment.yaml"]))
	f.Add([]byte(aliasBomb(4)))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("x: &x {y: *x}\n"))
	f.Add([]byte("<<: &m {a: 1}\nb: {<<: *m}\n---\nkind: ConfigMap\n"))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- &i {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"))
	f.Add([]byte("a: [unclosed\n"))
	limits := RenderLimits{FileBytes: 1 << 20, AliasExpansion: 1 << 16, MappingKeys: 1000, OutputBytes: 4 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckYAML(data, limits)
		if err != nil && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("CheckYAML refused with %v, which is not ErrTooLarge", err)
		}
		fsys := NewFS(nil)
		fsys.Set("app/kustomization.yaml", []byte("namespace: fuzz\nresources:\n- resource.yaml\n"))
		fsys.Set("app/resource.yaml", data)
		_, err = RenderWith(context.Background(), fsys, "app", RenderOptions{Limits: limits, Timeout: 20 * time.Second})
		if errors.Is(err, ErrRenderTimeout) {
			t.Fatalf("an input within the limits took more than 20 s to render: %q", data)
		}
	})
}
