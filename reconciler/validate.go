package reconciler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-logr/logr"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/analysis/notify"
	"github.com/gitcanary/gitcanary/analysis/webhooks"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler/api"
	"github.com/gitcanary/gitcanary/reconciler/machine"
)

// ValidateOption configures Validate.
type ValidateOption func(*validateConfig)

type validateConfig struct {
	warn func(error)
}

// WithWarnings has Validate hand each warning (a field of a canary that
// gitcanary ignores: unknown, or known but not supported) to fn.
func WithWarnings(fn func(error)) ValidateOption {
	return func(c *validateConfig) { c.warn = fn }
}

// Validate checks a config repository checked out at dir (a symlink to it
// is followed), as a pull request pipeline would: every Canary document
// parses and is valid, no two canaries conflict, every app renders, each
// target is found in its app's output, webhooks are well formed, and
// templateRefs and alerts name MetricTemplates and AlertProviders of the
// repository. It returns one error per problem, each naming the file, the
// document and the field, and the number of canaries found.
func Validate(dir, provider string, opts ...ValidateOption) ([]error, int, error) {
	cfg := validateConfig{warn: func(error) {}}
	for _, o := range opts {
		o(&cfg)
	}
	t, err := readDir(dir)
	if err != nil {
		return nil, 0, err
	}
	fsys := gitops.NewFS(nil)
	for p, data := range t.files {
		fsys.Set(p, data)
	}
	sc := newScanner("", provider)
	canaries, tmpls, errs := sc.scan(t)
	found := len(canaries)
	canaries, conflicts := api.Conflicts(canaries)
	var out []error
	for _, e := range append(errs, conflicts...) {
		out = append(out, errList(e)...)
	}
	r := &Reconciler{log: logr.Discard(), now: time.Now}
	for _, c := range canaries {
		for _, w := range c.Warnings {
			cfg.warn(w)
		}
		out = append(out, errList(checkCanary(c, sc.catalog, tmpls))...)
		ob, err := r.dryRun(fsys, c, sc.flux, sc.sources)
		for _, err := range errList(err) {
			out = append(out, fmt.Errorf("canary %s: %w", c.Key(), err))
		}
		for _, s := range ob.encryptedSecrets() {
			cfg.warn(&api.FieldError{Source: c.Source, Object: "Canary " + c.ID(), Field: "spec.targetRef",
				Msg: s + " is SOPS-encrypted: the primary uses it as it is (never copied nor decrypted), and changes to it are not canaried"})
		}
	}
	return out, found, nil
}

// checkCanary runs the checks a Canary must pass beyond its own schema
// (checked when it is parsed): its webhooks, the MetricTemplates and
// AlertProviders it names (CheckReferences) and its metric comparisons.
// validate and the pass both call it, so they agree.
func checkCanary(c *api.Canary, cat *notify.Catalog, tmpls analysis.TemplateLookup) error {
	return errors.Join(webhooks.Check(c), CheckReferences(c, tmpls, cat), analysis.CheckCompare(c))
}

// dryRun does in memory what the pass would commit first for a canary: its
// initialization (the generated component wired into the app, rendered
// and checked) when it has no status yet, else the render check of its
// current state. Nothing is written. It returns the app as observed, nil
// when it could not be.
func (r *Reconciler) dryRun(fsys *gitops.FS, c *api.Canary, flux []*fluxKustomization, sources []*yaml.RNode) (*observed, error) {
	ctx := context.Background()
	pb, err := postBuildFor(flux, c.Source.AppDir)
	if err != nil {
		return nil, err
	}
	if _, err := PendingRequests(fsys, c); err != nil {
		return nil, err // run refuses the canary for it
	}
	statusPath := path.Join(componentDir(c), StatusFile)
	if data, err := fsys.ReadFile(statusPath); err == nil {
		st, err := api.UnmarshalStatus(statusPath, data, r.now())
		if err != nil {
			return nil, err
		}
		ob, err := observe(ctx, nil, fsys, c, pb, sources)
		if err != nil {
			return nil, err
		}
		return ob, r.renderCheck(ctx, nil, fsys, c, ob, st, nil)
	}
	ob, err := observe(ctx, nil, fsys, c, pb, sources)
	if err != nil {
		return nil, err
	}
	d := machine.Decide(c, api.Status{}, machine.Observation{Revision: ob.revision, TrackedConfigs: ob.tracked, Now: r.now(),
		Providers: &machine.Providers{Unchecked: true}})
	if !d.Commit {
		return ob, nil // suspended: the pass does nothing either
	}
	changes, err := r.edits(ctx, nil, fsys, c, api.Status{}, ob, &d)
	if err != nil {
		return ob, err
	}
	return ob, r.renderCheck(ctx, nil, fsys, c, ob, d.Status, changes)
}

// dirTree is a directory on disk read into memory, as a tree. Files larger
// than gitops.MaxFileBytes are not read, as in a commit: large holds their
// sizes.
type dirTree struct {
	files map[string][]byte
	large map[string]int64
}

func readDir(dir string) (*dirTree, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(root); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is a file: give the directory of a checked-out config repository", dir)
	}
	dir = root
	t := &dirTree{files: map[string][]byte{}, large: map[string]int64{}}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if fi, err := d.Info(); err == nil && fi.Size() > gitops.MaxFileBytes {
			t.large[filepath.ToSlash(rel)] = fi.Size()
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		t.files[filepath.ToSlash(rel)] = data
		return nil
	})
	return t, err
}

func (t *dirTree) Walk(fn func(string, plumbing.Hash) error) error {
	paths := make([]string, 0, len(t.files)+len(t.large))
	for p := range t.files {
		paths = append(paths, p)
	}
	for p := range t.large {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		h, _ := t.BlobHash(p)
		if err := fn(p, h); err != nil {
			return err
		}
	}
	return nil
}

func (t *dirTree) ReadFile(p string) ([]byte, error) {
	if size, ok := t.large[p]; ok {
		return nil, fmt.Errorf("%s: %w: %d bytes, more than %d", p, gitops.ErrTooLarge, size, gitops.MaxFileBytes)
	}
	d, ok := t.files[p]
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	}
	return d, nil
}

func (t *dirTree) BlobHash(p string) (plumbing.Hash, bool) {
	if size, ok := t.large[p]; ok {
		// Not read: a hash of what is known of it.
		return plumbing.ComputeHash(plumbing.BlobObject, fmt.Appendf(nil, "%s %d", p, size)), true
	}
	d, ok := t.files[p]
	if !ok {
		return plumbing.ZeroHash, false
	}
	return plumbing.ComputeHash(plumbing.BlobObject, d), true
}
