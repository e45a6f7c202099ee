package gitops

import (
	"fmt"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

var renderMu sync.Mutex

// Render builds the kustomization in dir of fsys as Flux's
// kustomize-controller does (no load restrictions, plugins and Helm charts
// disabled) and returns the resulting objects.
//
// Remote bases (git or http URLs in resources) are fetched by kustomize
// itself, as in Flux; they are not read through fsys.
func Render(fsys filesys.FileSystem, dir string) ([]*yaml.RNode, error) {
	k := krusty.MakeKustomizer(&krusty.Options{
		LoadRestrictions: kustypes.LoadRestrictionsNone,
		PluginConfig:     kustypes.DisabledPluginConfig(),
	})
	// kustomize fills shared global tables on first use without a lock
	// (kubernetes-sigs/kustomize#4824), so renders in one process (the
	// reconciler next to the demo's Flux stand-in) take turns.
	renderMu.Lock()
	m, err := k.Run(fsys, dir)
	renderMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", dir, err)
	}
	return m.ToRNodeSlice(), nil
}
