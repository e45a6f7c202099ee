package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// The methods below implement filesys.FileSystem. Paths may be absolute
// (under FSRoot) or relative to FSRoot.

// Create creates or truncates a file in the overlay.
func (f *FS) Create(name string) (filesys.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.repoPath(name, false)
	if p == "" || f.isDir(p) {
		return nil, &fs.PathError{Op: "create", Path: name, Err: fs.ErrExist}
	}
	f.overlay[p] = []byte{}
	return &file{fs: f, path: p, writable: true}, nil
}

// Mkdir makes a directory visible; git stores no empty directories, so it
// is never committed.
func (f *FS) Mkdir(name string) error { return f.MkdirAll(name) }

// MkdirAll makes a directory and its parents visible (see [FS.Mkdir]).
func (f *FS) MkdirAll(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.repoPath(name, false)
	for d := p; d != "" && d != "."; d = path.Dir(d) {
		if f.isFile(d) {
			return &fs.PathError{Op: "mkdir", Path: name, Err: errors.New("a file is in the way")}
		}
		f.mkdirs[d] = true
	}
	return nil
}

// RemoveAll deletes the file or every file of the directory at name.
func (f *FS) RemoveAll(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.repoPath(name, false)
	if f.isFile(p) {
		f.deleteLocked(p)
		return nil
	}
	for d := range f.mkdirs {
		if d == p || p == "" || len(d) > len(p) && d[:len(p)+1] == p+"/" {
			delete(f.mkdirs, d)
		}
	}
	prefix := p + "/"
	if p == "" {
		prefix = ""
	}
	var doomed []string
	for op := range f.overlay {
		if len(op) > len(prefix) && op[:len(prefix)] == prefix {
			doomed = append(doomed, op)
		}
	}
	if f.snap != nil {
		_ = f.snap.walkUnder(p, func(sp string) error { doomed = append(doomed, sp); return nil })
	}
	for _, d := range doomed {
		f.deleteLocked(d)
	}
	return nil
}

// Open opens a file (or directory) for reading.
func (f *FS) Open(name string) (filesys.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.repoPath(name, false)
	if f.isDir(p) {
		return &file{fs: f, path: p, dir: true}, nil
	}
	data, err := f.readFile(p)
	if err != nil {
		return nil, err
	}
	return &file{fs: f, path: p, r: bytes.NewReader(data), size: int64(len(data))}, nil
}

// IsDir reports whether name is a directory.
func (f *FS) IsDir(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.isDir(f.repoPath(name, false))
}

// ReadDir returns the names in directory name, sorted.
func (f *FS) ReadDir(name string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.list(f.repoPath(name, true))
}

// CleanedAbs splits name into a confirmed directory and a file name ("" if
// name is a directory).
func (f *FS) CleanedAbs(name string) (filesys.ConfirmedDir, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.repoPath(name, false)
	switch {
	case f.isDir(p):
		return filesys.ConfirmedDir(fsPath(p)), "", nil
	case f.isFile(p):
		return filesys.ConfirmedDir(fsPath(path.Dir(p))), path.Base(p), nil
	}
	return "", "", fmt.Errorf("%s: %w", fsPath(p), fs.ErrNotExist)
}

// Exists reports whether a file or directory exists at name.
func (f *FS) Exists(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.repoPath(name, false)
	return f.isFile(p) || f.isDir(p)
}

// ReadFile returns the contents of name.
func (f *FS) ReadFile(name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.readFile(f.repoPath(name, false))
}

// WriteFile puts data at name in the overlay.
func (f *FS) WriteFile(name string, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.repoPath(name, false)
	if p == "" || f.isDir(p) {
		return &fs.PathError{Op: "write", Path: name, Err: errors.New("is a directory")}
	}
	f.overlay[p] = append([]byte{}, data...)
	return nil
}
