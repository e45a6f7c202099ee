package api

import (
	"strings"
	"testing"
)

func TestConflicts(t *testing.T) {
	canary := func(path, dir, ns, name string) *Canary {
		return &Canary{Metadata: ObjectMeta{Name: name, Namespace: ns}, Source: Source{Path: path, AppDir: dir}}
	}
	a := canary("apps/a/canary.yaml", "apps/a", "test", "podinfo")
	b := canary("apps/b/canary.yaml", "apps/b", "test", "podinfo")    // same ID as a
	c := canary("apps/c/canary.yaml", "apps/c", "prod", "podinfo")    // fine
	d := canary("apps/c/canary-2.yaml", "apps/c", "other", "podinfo") // same folder as c
	e := canary("apps/e/canary.yaml", "apps/e", "test", "frontend")
	unique, errs := Conflicts([]*Canary{a, b, c, d, e})
	if len(unique) != 1 || unique[0] != e {
		t.Errorf("unique: %v", unique)
	}
	var got []string
	for _, err := range errs {
		got = append(got, err.Error())
	}
	want := []string{
		"apps/a/canary.yaml: document 1 (Canary test/podinfo): metadata.name: conflict, canary refused: Canary test/podinfo is also defined in apps/b/canary.yaml: document 1: namespace and name must be unique in the repository",
		"apps/b/canary.yaml: document 1 (Canary test/podinfo): metadata.name: conflict, canary refused: Canary test/podinfo is also defined in apps/a/canary.yaml: document 1: namespace and name must be unique in the repository",
		"apps/c/canary.yaml: document 1 (Canary prod/podinfo): metadata.name: conflict, canary refused: Canary other/podinfo in apps/c/canary-2.yaml: document 1 has the same name in the same app directory apps/c: they would share one generated folder",
		"apps/c/canary-2.yaml: document 1 (Canary other/podinfo): metadata.name: conflict, canary refused: Canary prod/podinfo in apps/c/canary.yaml: document 1 has the same name in the same app directory apps/c: they would share one generated folder",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Two canaries on one Deployment would both generate its -primary: both are refused. Overlays of one base in two
// namespaces are no conflict.
func TestConflictsOnOneTarget(t *testing.T) {
	canary := func(dir, ns, name, target string) *Canary {
		c := &Canary{Metadata: ObjectMeta{Name: name, Namespace: ns}, Source: Source{Path: dir + "/canary.yaml", AppDir: dir}}
		c.Spec.TargetRef = CrossRef{Kind: "Deployment", Name: target}
		return c
	}
	a := canary("apps/a", "shop", "podinfo", "podinfo")
	b := canary("apps/b", "shop", "podinfo-two", "podinfo")
	staging := canary("apps/staging", "staging", "podinfo", "podinfo")
	production := canary("apps/production", "production", "podinfo", "podinfo")
	unique, errs := Conflicts([]*Canary{a, b, staging, production})
	if len(unique) != 2 || unique[0] != staging || unique[1] != production {
		t.Errorf("unique: %v", unique)
	}
	want := "apps/a/canary.yaml: document 1 (Canary shop/podinfo): spec.targetRef: conflict, canary refused: Canary shop/podinfo-two in apps/b/canary.yaml: document 1 also targets Deployment shop/podinfo: both would generate podinfo-primary"
	if len(errs) != 2 || errs[0].Error() != want {
		t.Errorf("errors: %v\nwant first: %s", errs, want)
	}
}
