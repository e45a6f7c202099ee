package reconciler

import (
	"bytes"
	"errors"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/analysis/notify"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/templates"
)

// GeneratedDir is the folder, inside an app directory, that holds one
// generated component per canary.
const GeneratedDir = "gitcanary"

// kustomizationFiles are the names kustomize looks for, in its order.
var kustomizationFiles = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// tree is a read-only repository tree: a commit (*gitops.Snapshot) or a
// directory on disk (validate).
type tree interface {
	Walk(fn func(path string, blob plumbing.Hash) error) error
	ReadFile(path string) ([]byte, error)
	BlobHash(path string) (plumbing.Hash, bool)
}

// scanner finds Canary documents in a commit. It caches what each blob held,
// so a pass over an unchanged repository reads no file twice.
type scanner struct {
	root     string
	provider string
	cache    map[plumbing.Hash]scanned
	// catalog holds the AlertProviders found by the last scan.
	catalog *notify.Catalog
	// flux holds the Flux Kustomizations found by the last scan.
	flux []*fluxKustomization
	// sources holds the Flux sources a HelmRelease may name
	// (HelmRepository, HelmChart, OCIRepository), found by the last scan.
	sources []*yaml.RNode
	// warn is told each warning of a Canary (a field gitcanary ignores)
	// when its file is first read, not on every scan.
	warn func(error)
	// last is the result of the last scan and the root tree it read: a
	// pass over the same tree (nothing pushed since) reuses it whole,
	// without walking the tree, placing the canaries or rendering charts.
	last *scanResult
	// walks counts the scans that walked a tree, for tests.
	walks int
	// statuses are the status files of the generated folders found by the
	// last scan: a folder whose Canary is gone still has one.
	statuses []string
}

type scanResult struct {
	root     plumbing.Hash
	canaries []*api.Canary
	tmpls    analysis.Templates
	errs     []error
}

// rootHasher is a tree that knows its root tree's hash (a commit).
type rootHasher interface {
	TreeHash(path string) (plumbing.Hash, bool)
}

type scanned struct {
	canaries  []*api.Canary
	templates []*analysis.MetricTemplate
	providers []*notify.AlertProvider
	flux      []*fluxKustomization
	sources   []*yaml.RNode
	// releases are the names of the HelmReleases the file holds.
	releases []string
	configs  map[string]configMap // by namespace/name
	err      error
}

func newScanner(root, provider string) *scanner {
	return &scanner{root: strings.Trim(path.Clean("/"+root), "/"), provider: provider, cache: map[plumbing.Hash]scanned{}}
}

// scan returns the repository's canaries, each with its app directory, its
// MetricTemplates, and one error per bad document or canary without an app
// directory. Its AlertProviders are left in s.catalog.
func (s *scanner) scan(snap tree) ([]*api.Canary, analysis.Templates, []error) {
	var root plumbing.Hash
	if rh, ok := snap.(rootHasher); ok {
		root, _ = rh.TreeHash("")
	}
	if l := s.last; l == nil || root.IsZero() || l.root != root {
		out, tmpls, errs := s.walk(snap)
		if root.IsZero() {
			s.last = nil
			return out, tmpls, errs
		}
		s.last = &scanResult{root: root, canaries: out, tmpls: tmpls, errs: errs}
	}
	l := s.last
	out := make([]*api.Canary, len(l.canaries))
	for i, c := range l.canaries {
		c := *c // each pass its own copy, as from the blob cache
		out[i] = &c
	}
	return out, l.tmpls, append([]error(nil), l.errs...)
}

// walk reads the tree's documents (from the blob cache where it can).
func (s *scanner) walk(snap tree) ([]*api.Canary, analysis.Templates, []error) {
	s.walks++
	var out []*api.Canary
	var errs []error
	var providers []*notify.AlertProvider
	var flux []*fluxKustomization
	var sources []*yaml.RNode
	releases := map[string][]string{} // HelmRelease names by file
	configs := map[string]configMap{}
	tmpls := analysis.Templates{}
	seen := make(map[plumbing.Hash]scanned, len(s.cache))
	var statuses []string
	err := snap.Walk(func(p string, blob plumbing.Hash) error {
		if isGenerated(p) && path.Base(p) == StatusFile && s.inRoot(p) {
			statuses = append(statuses, p)
		}
		if !isYAML(p) || !s.inRoot(p) || isGenerated(p) || inChartTemplates(snap, p) {
			return nil
		}
		r, ok := s.cache[blob]
		if !ok {
			data, err := snap.ReadFile(p)
			if errors.Is(err, gitops.ErrTooLarge) {
				// Not read: one file's error, not the scan's.
				errs = append(errs, err)
				return nil
			}
			if err != nil {
				return err
			}
			if api.LooksLikeCanary(data) {
				r.canaries, r.err = api.ParseCanaries(p, data, s.provider)
				for _, c := range r.canaries {
					for _, w := range c.Warnings {
						if s.warn != nil {
							s.warn(w)
						}
					}
				}
			}
			if bytes.Contains(data, []byte(api.KindMetricTemplate)) {
				var err error
				r.templates, err = analysis.ParseMetricTemplates(p, data)
				r.err = joinNew(r.err, err)
			}
			if bytes.Contains(data, []byte(notify.KindAlertProvider)) {
				var err error
				r.providers, err = notify.ParseAlertProviders(p, data)
				r.err = joinNew(r.err, err)
			}
			if bytes.Contains(data, []byte(fluxKustomizeGroup)) {
				var err error
				r.flux, err = parseFluxKustomizations(p, data)
				r.err = joinNew(r.err, err)
			}
			r.configs = configMapData(p, data)
			if bytes.Contains(data, []byte(helmSourceGroup)) {
				r.sources = gitops.ReadHelmSources(data)
			}
			if bytes.Contains(data, []byte(templates.KindHelmRelease)) {
				r.releases = helmReleases(data)
			}
		}
		if len(r.releases) > 0 {
			releases[p] = r.releases
		}
		sources = append(sources, r.sources...)
		for _, k := range r.flux {
			k := *k // shared by every file with this blob
			k.Source.Path = p
			flux = append(flux, &k)
		}
		for id, cm := range r.configs {
			cm.path = p // the cached value is shared by every file with this blob
			configs[id] = cm
		}
		for _, ap := range r.providers {
			ap := *ap // shared by every file with this blob, like canaries
			ap.Source.Path = p
			providers = append(providers, &ap)
		}
		for _, t := range r.templates {
			if err := tmpls.Add(t); err != nil {
				errs = append(errs, err)
			}
		}
		seen[blob] = r
		if r.err != nil {
			errs = append(errs, r.err)
		}
		for _, c := range r.canaries {
			c := *c // the cached value is shared by every file with this blob
			c.Source.Path = p
			if c, err := place(snap, &c); err != nil {
				errs = append(errs, err...)
			} else {
				out = append(out, c)
			}
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	s.cache = seen
	s.statuses = statuses
	resolveSubstituteFrom(flux, configs)
	s.flux = flux
	s.sources = sources
	chart, cerrs := s.chartCanaries(snap, releases)
	out, errs = append(out, chart...), append(errs, cerrs...)
	cat, err := notify.NewCatalog(providers...)
	if err != nil {
		errs = append(errs, err)
	}
	s.catalog = cat
	return out, tmpls, errs
}

// place checks a Canary read from c.Source.Path and finds its app
// directory.
func place(snap tree, c *api.Canary) (*api.Canary, []error) {
	if bad := templates.Check(c); len(bad) > 0 {
		errs := make([]error, 0, len(bad))
		for _, e := range bad {
			errs = append(errs, e)
		}
		return nil, errs
	}
	dir, ok := appDir(snap, path.Dir(c.Source.Path))
	if !ok {
		return nil, []error{&api.FieldError{Source: c.Source, Object: "Canary " + c.ID(), Msg: "no kustomization.yaml in its directory or any parent: gitcanary needs the app's kustomization to wire its component into"}}
	}
	c.Source.AppDir = dir
	return c, nil
}

func (s *scanner) inRoot(p string) bool {
	return s.root == "" || p == s.root || strings.HasPrefix(p, s.root+"/")
}

func isYAML(p string) bool {
	return strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")
}

// isGenerated reports whether p is inside a generated component folder.
func isGenerated(p string) bool {
	dir := path.Dir(path.Dir(p))
	return path.Base(dir) == GeneratedDir
}

// inChartTemplates reports whether p is a template of a Helm chart (under
// the templates folder of a directory holding Chart.yaml): Go templates,
// not YAML, and what they render is read through the HelmRelease.
func inChartTemplates(snap tree, p string) bool {
	for dir := path.Dir(p); dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
		if path.Base(dir) != "templates" {
			continue
		}
		if _, ok := snap.BlobHash(path.Join(path.Dir(dir), "Chart.yaml")); ok {
			return true
		}
	}
	return false
}

// appDir finds the nearest directory, from dir upwards, that holds a
// kustomization.
func appDir(snap tree, dir string) (string, bool) {
	for {
		if kustomizationPath(snap, dir) != "" {
			return dir, true
		}
		if dir == "." || dir == "/" || dir == "" {
			return "", false
		}
		dir = path.Dir(dir)
	}
}

// kustomizationPath returns the path of dir's kustomization file, or "".
func kustomizationPath(snap tree, dir string) string {
	for _, name := range kustomizationFiles {
		p := path.Join(dir, name)
		if _, ok := snap.BlobHash(p); ok {
			return p
		}
	}
	return ""
}

// joinNew joins to errs the errors of err it does not hold yet: each parser
// of a file that is not YAML says so, and the file's problem is reported
// once.
func joinNew(errs, err error) error {
	seen := map[string]bool{}
	for _, e := range errList(errs) {
		seen[e.Error()] = true
	}
	out := []error{errs}
	for _, e := range errList(err) {
		if !seen[e.Error()] {
			seen[e.Error()] = true
			out = append(out, e)
		}
	}
	return errors.Join(out...)
}

// errList flattens joined errors, so each is reported on its own.
func errList(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, errList(e)...)
		}
		return out
	}
	return []error{err}
}
