package gitops

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// errAbandoned is what a render's file system answers once the render has
// timed out: kustomize stops at its next file access.
var errAbandoned = errors.New("render abandoned after its timeout")

// cloneDirPrefix is how kustomize names the directories it clones remote
// bases into: os.MkdirTemp("", "kustomize-"), symlinks resolved.
const cloneDirPrefix = "kustomize-"

// renderFS is the file system one render sees: the caller's (an [FS] over a
// commit) with every read bounded by [RenderLimits], and, when remote bases
// are allowed, the directories kustomize clones them into during this
// render on the real disk, as kustomize-controller's file system allows
// them. It remembers those clones, so that every one is removed.
type renderFS struct {
	inner  filesys.FileSystem
	disk   filesys.FileSystem // nil: remote bases refused
	limits RenderLimits

	tmp    string          // the resolved temporary directory
	before map[string]bool // clone directories that existed before (shared: read only)

	abandoned atomic.Bool
	read      atomic.Int64
	mu        sync.Mutex
	clones    map[string]bool // clone directories this render used
	refused   error           // the first input refused by the limits
}

var _ filesys.FileSystem = (*renderFS)(nil)

func newRenderFS(inner filesys.FileSystem, o RenderOptions) *renderFS {
	f := &renderFS{inner: inner, limits: o.Limits, clones: map[string]bool{}}
	if o.NoRemoteBases {
		return f
	}
	tmp, err := resolvedTempDir()
	if err != nil {
		return f // no clone can be read: remote bases fail to render
	}
	f.disk, f.tmp = filesys.MakeFsOnDisk(), tmp
	return f
}

// tempDirs caches os.TempDir() with its symlinks resolved, by its value.
var tempDirs sync.Map

// resolvedTempDir returns os.TempDir() with symlinks resolved, as
// kustomize's clone directories are named.
func resolvedTempDir() (string, error) {
	dir := os.TempDir()
	if r, ok := tempDirs.Load(dir); ok {
		return r.(string), nil
	}
	r, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	tempDirs.Store(dir, r)
	return r, nil
}

// start notes the clone directories that exist when kustomize starts: only
// those made since belong to this render. Callers hold the render turn.
func (f *renderFS) start() {
	if f.disk == nil {
		return
	}
	f.before = cloneDirsIn(f.tmp)
}

// tmpClones caches the last listing of the temporary directory's clone
// directories with the directory's modification time: a render lists it
// again only when an entry was added or removed since. (The directory can
// be large, and every render needs its clone directories, even one without
// a remote base.) A directory made after the listing within the same tick
// of the file system's clock is taken for this render's, as one another
// process makes during the render is.
var tmpClones struct {
	sync.Mutex
	dir   string
	mod   time.Time
	names map[string]bool // never written once cached
}

// cloneDirsIn names the clone directories in tmp.
func cloneDirsIn(tmp string) map[string]bool {
	info, err := os.Stat(tmp)
	tmpClones.Lock()
	defer tmpClones.Unlock()
	if err == nil && tmpClones.names != nil && tmpClones.dir == tmp && info.ModTime().Equal(tmpClones.mod) {
		return tmpClones.names
	}
	names := map[string]bool{}
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), cloneDirPrefix) {
			names[e.Name()] = true
		}
	}
	if err == nil {
		tmpClones.dir, tmpClones.mod, tmpClones.names = tmp, info.ModTime(), names
	}
	return names
}

// route returns the file system that holds name: the disk for a path in a
// clone directory made since the render started, else the caller's.
func (f *renderFS) route(name string) (filesys.FileSystem, error) {
	if f.abandoned.Load() {
		return nil, errAbandoned
	}
	if f.disk == nil || f.before == nil || !filepath.IsAbs(name) {
		return f.inner, nil
	}
	rest, ok := strings.CutPrefix(filepath.Clean(name), f.tmp+string(filepath.Separator))
	if !ok {
		return f.inner, nil
	}
	dir, _, _ := strings.Cut(rest, string(filepath.Separator))
	if !strings.HasPrefix(dir, cloneDirPrefix) || f.before[dir] {
		return f.inner, nil
	}
	f.mu.Lock()
	f.clones[filepath.Join(f.tmp, dir)] = true
	f.mu.Unlock()
	return f.disk, nil
}

// removeClones removes the clone directories the render used.
func (f *renderFS) removeClones() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for dir := range f.clones {
		_ = os.RemoveAll(dir)
	}
}

// check bounds the content of a file the render reads. kustomize keeps
// only the text of the errors it meets, so the first refusal is kept here
// for the render to report.
func (f *renderFS) check(name string, data []byte) error {
	err := f.limit(name, data)
	if err != nil {
		f.mu.Lock()
		if f.refused == nil {
			f.refused = err
		}
		f.mu.Unlock()
	}
	return err
}

// refusal returns the first input the limits refused, if any.
func (f *renderFS) refusal() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

func (f *renderFS) limit(name string, data []byte) error {
	if _, ok := f.inner.(*FS); ok && !strings.HasPrefix(name, f.tmp+string(filepath.Separator)) {
		name = cleanPath(filepath.ToSlash(name)) // a repository path
	}
	n := int64(len(data))
	if n > f.limits.FileBytes {
		return fmt.Errorf("%s: %w: %d bytes, more than %d", name, ErrTooLarge, n, f.limits.FileBytes)
	}
	if total := f.read.Add(n); total > f.limits.ReadBytes {
		return fmt.Errorf("%s: %w: the render read %d bytes in all, more than %d", name, ErrTooLarge, total, f.limits.ReadBytes)
	}
	if err := CheckYAML(data, f.limits); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// ReadFile reads name within the limits.
func (f *renderFS) ReadFile(name string) ([]byte, error) {
	fsys, err := f.route(name)
	if err != nil {
		return nil, err
	}
	data, err := fsys.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if err := f.check(name, data); err != nil {
		return nil, err
	}
	return data, nil
}

// Open opens name; a file is read and checked first.
func (f *renderFS) Open(name string) (filesys.File, error) {
	fsys, err := f.route(name)
	if err != nil {
		return nil, err
	}
	if !fsys.IsDir(name) {
		if _, err := f.ReadFile(name); err != nil {
			return nil, err
		}
	}
	return fsys.Open(name)
}

// on runs op on the file system that holds name.
func on[T any](f *renderFS, name string, op func(filesys.FileSystem) (T, error)) (T, error) {
	fsys, err := f.route(name)
	if err != nil {
		var zero T
		return zero, err
	}
	return op(fsys)
}

// do runs op on the file system that holds name.
func (f *renderFS) do(name string, op func(filesys.FileSystem) error) error {
	_, err := on(f, name, func(fsys filesys.FileSystem) (struct{}, error) { return struct{}{}, op(fsys) })
	return err
}

// is asks the file system that holds name; false once abandoned.
func (f *renderFS) is(name string, op func(filesys.FileSystem) bool) bool {
	ok, _ := on(f, name, func(fsys filesys.FileSystem) (bool, error) { return op(fsys), nil })
	return ok
}

// Create creates a file.
func (f *renderFS) Create(name string) (filesys.File, error) {
	return on(f, name, func(fsys filesys.FileSystem) (filesys.File, error) { return fsys.Create(name) })
}

// Mkdir makes a directory.
func (f *renderFS) Mkdir(name string) error {
	return f.do(name, func(fsys filesys.FileSystem) error { return fsys.Mkdir(name) })
}

// MkdirAll makes a directory and its parents.
func (f *renderFS) MkdirAll(name string) error {
	return f.do(name, func(fsys filesys.FileSystem) error { return fsys.MkdirAll(name) })
}

// RemoveAll removes name: kustomize removes its clones this way.
func (f *renderFS) RemoveAll(name string) error {
	return f.do(name, func(fsys filesys.FileSystem) error { return fsys.RemoveAll(name) })
}

// WriteFile writes a file.
func (f *renderFS) WriteFile(name string, data []byte) error {
	return f.do(name, func(fsys filesys.FileSystem) error { return fsys.WriteFile(name, data) })
}

// Walk walks the tree at root.
func (f *renderFS) Walk(root string, fn filepath.WalkFunc) error {
	return f.do(root, func(fsys filesys.FileSystem) error { return fsys.Walk(root, fn) })
}

// IsDir reports whether name is a directory.
func (f *renderFS) IsDir(name string) bool {
	return f.is(name, func(fsys filesys.FileSystem) bool { return fsys.IsDir(name) })
}

// Exists reports whether name exists.
func (f *renderFS) Exists(name string) bool {
	return f.is(name, func(fsys filesys.FileSystem) bool { return fsys.Exists(name) })
}

// ReadDir lists a directory.
func (f *renderFS) ReadDir(name string) ([]string, error) {
	return on(f, name, func(fsys filesys.FileSystem) ([]string, error) { return fsys.ReadDir(name) })
}

// Glob lists the paths matching pattern.
func (f *renderFS) Glob(pattern string) ([]string, error) {
	return on(f, pattern, func(fsys filesys.FileSystem) ([]string, error) { return fsys.Glob(pattern) })
}

// CleanedAbs splits name into a confirmed directory and a file name.
func (f *renderFS) CleanedAbs(name string) (filesys.ConfirmedDir, string, error) {
	fsys, err := f.route(name)
	if err != nil {
		return "", "", err
	}
	return fsys.CleanedAbs(name)
}
