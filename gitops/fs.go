package gitops

import (
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// FSRoot is the virtual directory at which an [FS] shows the repository root.
const FSRoot = "/"

var _ filesys.FileSystem = (*FS)(nil)

// FS is a kustomize file system over a [Snapshot] plus an overlay of edits.
// The repository root appears at [FSRoot]; relative paths are taken from
// there too. Writes go to the overlay, never to the repository. Every path
// looked at is recorded (see [FS.ReadPaths]), so a caller can tell later,
// from blob hashes alone, whether a rendering's inputs changed.
//
// Directories exist where files do, as in git; [FS.MkdirAll] only makes a
// directory visible until the end of this FS.
type FS struct {
	snap *Snapshot // nil means an empty tree

	mu      sync.Mutex
	overlay map[string][]byte // repo path -> content; nil = deleted
	mkdirs  map[string]bool
	reads   map[string]struct{}
}

// NewFS returns a file system showing snap (nil for an empty tree) with an
// empty overlay.
func NewFS(snap *Snapshot) *FS {
	return &FS{snap: snap, overlay: map[string][]byte{}, mkdirs: map[string]bool{}, reads: map[string]struct{}{}}
}

// Set puts data at the repository path p in the overlay (nil data is an
// empty file; use [FS.Delete] to remove one).
func (f *FS) Set(p string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if data == nil {
		data = []byte{}
	}
	f.overlay[cleanPath(p)] = append([]byte(nil), data...)
}

// Delete removes the file at the repository path p in the overlay.
func (f *FS) Delete(p string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleteLocked(cleanPath(p))
}

func (f *FS) deleteLocked(p string) {
	if f.snapFile(p) {
		f.overlay[p] = nil
	} else {
		delete(f.overlay, p)
	}
}

// Changes returns the overlay: repository path to content, nil for a
// deleted file. It is what [Repo.Commit] takes.
func (f *FS) Changes() map[string][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string][]byte, len(f.overlay))
	for p, d := range f.overlay {
		if d != nil {
			d = append([]byte{}, d...)
		}
		out[p] = d
	}
	return out
}

// ReadPaths returns the repository paths looked at since the FS was made or
// [FS.ResetReads] was called, sorted and without duplicates. A path is a
// file read, or an existence check (often of a file that is missing, such as
// the kustomization.yml variant); a path ending in "/" means the listing of
// that directory was read. [Snapshot.Digest] hashes such a list.
func (f *FS) ReadPaths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.reads))
	for p := range f.reads {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// ResetReads forgets the recorded paths.
func (f *FS) ResetReads() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads = map[string]struct{}{}
}

// repoPath maps a file system path to a repository path and records it.
func (f *FS) repoPath(name string, listing bool) string {
	p := cleanPath(filepath.ToSlash(name))
	switch {
	case listing:
		f.reads[p+"/"] = struct{}{} // "/" for the root
	case p != "":
		f.reads[p] = struct{}{}
	}
	return p
}

// fsPath maps a repository path back to the file system.
func fsPath(p string) string { return path.Join(FSRoot, p) }

// snapFile reports whether the snapshot has a file at p.
func (f *FS) snapFile(p string) bool {
	if f.snap == nil {
		return false
	}
	_, ok := f.snap.BlobHash(p)
	return ok
}

// isFile reports whether a file exists at p, in the overlay or snapshot.
func (f *FS) isFile(p string) bool {
	if d, ok := f.overlay[p]; ok {
		return d != nil
	}
	return f.snapFile(p)
}

// readFile returns the content at p.
func (f *FS) readFile(p string) ([]byte, error) {
	if d, ok := f.overlay[p]; ok {
		if d == nil {
			return nil, &fs.PathError{Op: "read", Path: fsPath(p), Err: fs.ErrNotExist}
		}
		return append([]byte(nil), d...), nil
	}
	if f.snap == nil {
		return nil, &fs.PathError{Op: "read", Path: fsPath(p), Err: fs.ErrNotExist}
	}
	data, err := f.snap.ReadFile(p)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: fsPath(p), Err: err}
	}
	return data, nil
}

// isDir reports whether p is a directory holding at least one live file (or
// made with MkdirAll).
func (f *FS) isDir(p string) bool {
	if p == "" || f.mkdirs[p] {
		return true
	}
	if f.isFile(p) {
		return false
	}
	prefix := p + "/"
	deletions := false
	for op, d := range f.overlay {
		if strings.HasPrefix(op, prefix) {
			if d != nil {
				return true
			}
			deletions = true
		}
	}
	if f.snap == nil {
		return false
	}
	if _, ok := f.snap.TreeHash(p); !ok {
		return false
	}
	if !deletions {
		return true
	}
	return f.snapHasLiveFile(p)
}

// snapHasLiveFile reports whether a snapshot file under dir survives the
// overlay's deletions.
func (f *FS) snapHasLiveFile(dir string) bool {
	found := false
	_ = f.snap.walkUnder(dir, func(p string) error {
		if d, ok := f.overlay[p]; !ok || d != nil {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}

// list returns the names in directory p, sorted.
func (f *FS) list(p string) ([]string, error) {
	if !f.isDir(p) {
		return nil, &fs.PathError{Op: "readdir", Path: fsPath(p), Err: fs.ErrNotExist}
	}
	names := map[string]bool{}
	if f.snap != nil {
		for _, n := range f.snap.names(p) {
			if c := path.Join(p, n); f.isFile(c) || f.isDir(c) {
				names[n] = true
			}
		}
	}
	prefix := p + "/"
	if p == "" {
		prefix = ""
	}
	for op, d := range f.overlay {
		if rest, ok := strings.CutPrefix(op, prefix); ok && d != nil {
			name, _, _ := strings.Cut(rest, "/")
			names[name] = true
		}
	}
	for d := range f.mkdirs {
		if rest, ok := strings.CutPrefix(d, prefix); ok && d != p {
			name, _, _ := strings.Cut(rest, "/")
			names[name] = true
		}
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}
