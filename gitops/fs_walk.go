package gitops

import (
	"errors"
	"io/fs"
	"path"
	"path/filepath"
	"time"
)

// Glob returns the paths matching pattern (path.Match syntax), sorted.
func (f *FS) Glob(pattern string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pat := fsPath(cleanPath(filepath.ToSlash(pattern)))
	if _, err := path.Match(pat, ""); err != nil {
		return nil, err
	}
	var out []string
	var walk func(p string)
	walk = func(p string) {
		if p != "" {
			if ok, _ := path.Match(pat, fsPath(p)); ok {
				out = append(out, fsPath(p))
			}
		}
		if !f.isDir(p) {
			return
		}
		names, _ := f.list(f.repoPath(fsPath(p), true))
		for _, n := range names {
			walk(path.Join(p, n))
		}
	}
	walk(globBase(pat))
	return out, nil
}

// globBase returns the repository directory above the first pattern
// element with a meta character.
func globBase(pat string) string {
	dir := cleanPath(pat)
	for dir != "" && hasMeta(dir) {
		dir = cleanPath(path.Dir(dir))
	}
	return dir
}

func hasMeta(s string) bool {
	for _, c := range s {
		switch c {
		case '*', '?', '[', '\\':
			return true
		}
	}
	return false
}

// Walk walks the tree at root in lexical order, like filepath.Walk.
func (f *FS) Walk(root string, fn filepath.WalkFunc) error {
	f.mu.Lock()
	p := f.repoPath(root, false)
	info, err := f.stat(p)
	f.mu.Unlock()
	if err != nil {
		return fn(root, nil, err)
	}
	err = f.walk(filepath.Clean(root), p, info, fn)
	if errors.Is(err, filepath.SkipDir) || errors.Is(err, filepath.SkipAll) {
		return nil
	}
	return err
}

func (f *FS) walk(name, p string, info fs.FileInfo, fn filepath.WalkFunc) error {
	if err := fn(name, info, nil); err != nil || !info.IsDir() {
		return err
	}
	f.mu.Lock()
	names, err := f.list(f.repoPath(fsPath(p), true))
	f.mu.Unlock()
	if err != nil {
		return fn(name, info, err)
	}
	for _, n := range names {
		cp := path.Join(p, n)
		f.mu.Lock()
		ci, err := f.stat(cp)
		f.mu.Unlock()
		if err != nil {
			continue
		}
		err = f.walk(filepath.Join(name, n), cp, ci, fn)
		if errors.Is(err, filepath.SkipDir) && ci.IsDir() {
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// stat describes the entry at p; callers hold mu.
func (f *FS) stat(p string) (fs.FileInfo, error) {
	if f.isDir(p) {
		return fileInfo{name: path.Base(fsPath(p)), dir: true}, nil
	}
	if d, ok := f.overlay[p]; ok && d != nil {
		return fileInfo{name: path.Base(p), size: int64(len(d))}, nil
	}
	data, err := f.readFile(p)
	if err != nil {
		return nil, err
	}
	return fileInfo{name: path.Base(p), size: int64(len(data))}, nil
}

// fileInfo is an fs.FileInfo for an FS entry.
type fileInfo struct {
	name string
	size int64
	dir  bool
}

func (i fileInfo) Name() string { return i.name }
func (i fileInfo) Size() int64  { return i.size }
func (i fileInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return i.dir }
func (i fileInfo) Sys() any           { return nil }
