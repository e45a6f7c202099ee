package gitops

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
)

// file is a filesys.File of an FS: a reader over a snapshot of the content,
// or a writer that updates the overlay on every write.
type file struct {
	fs       *FS
	path     string
	r        *bytes.Reader
	size     int64
	dir      bool
	writable bool
	buf      []byte
	closed   bool
}

// Read reads from the content as of Open.
func (f *file) Read(b []byte) (int, error) {
	if f.closed {
		return 0, fs.ErrClosed
	}
	if f.r == nil {
		if f.dir {
			return 0, errors.New("is a directory")
		}
		return 0, io.EOF
	}
	return f.r.Read(b)
}

// Write appends to a file made by Create.
func (f *file) Write(b []byte) (int, error) {
	if f.closed {
		return 0, fs.ErrClosed
	}
	if !f.writable {
		return 0, errors.New("file opened read-only")
	}
	f.buf = append(f.buf, b...)
	f.fs.mu.Lock()
	f.fs.overlay[f.path] = append([]byte{}, f.buf...)
	f.fs.mu.Unlock()
	return len(b), nil
}

// Close closes the file.
func (f *file) Close() error {
	f.closed = true
	return nil
}

// Stat describes the file.
func (f *file) Stat() (fs.FileInfo, error) {
	size := f.size
	if f.writable {
		size = int64(len(f.buf))
	}
	return fileInfo{name: path.Base(fsPath(f.path)), size: size, dir: f.dir}, nil
}
