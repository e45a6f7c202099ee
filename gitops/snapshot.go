package gitops

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Snapshot is a read-only view of the tree of one commit. Blobs are read
// lazily from the object database; nothing is checked out. Paths are
// slash-separated and relative to the repository root ("" is the root).
type Snapshot struct {
	repo   *Repo
	commit plumbing.Hash
	root   *dirTree // nil for the empty tree
}

// Snapshot returns a view of commit's tree. The zero hash gives an empty
// snapshot (a branch without commits yet).
func (r *Repo) Snapshot(commit plumbing.Hash) (*Snapshot, error) {
	s := &Snapshot{repo: r, commit: commit}
	if commit.IsZero() {
		return s, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := object.GetCommit(r.repo.Storer, commit)
	if err != nil {
		if commit == r.head {
			err = r.damaged(err)
		}
		return nil, fmt.Errorf("read commit %s: %w", commit, err)
	}
	if s.root, err = r.dirTree(c.TreeHash); err != nil {
		return nil, fmt.Errorf("read tree of commit %s: %w", commit, err)
	}
	return s, nil
}

// Commit returns the commit the snapshot shows.
func (s *Snapshot) Commit() plumbing.Hash { return s.commit }

// cleanPath normalises a repository path: slash-separated, relative to the
// root, without leading slash; ".." cannot climb above the root.
func cleanPath(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}

// entry returns the tree entry at p; callers hold repo.mu.
func (s *Snapshot) entry(p string) (object.TreeEntry, bool) {
	if s.root == nil || p == "" {
		return object.TreeEntry{}, false
	}
	dir, name := path.Split(p)
	t, ok := s.tree(strings.TrimSuffix(dir, "/"))
	if !ok {
		return object.TreeEntry{}, false
	}
	return t.find(name)
}

// tree returns the subtree at p; callers hold repo.mu. A tree that cannot
// be read is noted as damage, so that the next fetch repairs the clone.
func (s *Snapshot) tree(p string) (*dirTree, bool) {
	if s.root == nil {
		return nil, false
	}
	t := s.root
	for p != "" {
		var name string
		name, p, _ = strings.Cut(p, "/")
		e, ok := t.find(name)
		if !ok || !isDirMode(e.Mode) {
			return nil, false
		}
		sub, err := s.repo.dirTree(e.Hash)
		if err != nil {
			return nil, false
		}
		t = sub
	}
	return t, true
}

// MaxFileBytes bounds every file read from a commit: no render reads more
// in all ([DefaultMaxReadBytes]), and a blob of gigabytes (a few megabytes
// once compressed) would take the process down on every pass.
const MaxFileBytes = DefaultMaxReadBytes

// ReadFile returns the contents of the file at p. A missing file gives an
// error wrapping [fs.ErrNotExist]; a symlink or submodule [ErrUnsupported];
// a file larger than [MaxFileBytes], not read, [ErrTooLarge].
func (s *Snapshot) ReadFile(p string) ([]byte, error) {
	p = cleanPath(p)
	s.repo.mu.Lock()
	defer s.repo.mu.Unlock()
	e, ok := s.entry(p)
	if !ok || isDirMode(e.Mode) {
		return nil, fmt.Errorf("read %s at %s: %w", p, short(s.commit), fs.ErrNotExist)
	}
	if !e.Mode.IsFile() || e.Mode == filemode.Symlink {
		return nil, fmt.Errorf("read %s at %s: %w (mode %s)", p, short(s.commit), ErrUnsupported, e.Mode)
	}
	data, err := s.repo.readBlob(e.Hash, MaxFileBytes)
	if errors.Is(err, ErrTooLarge) {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return data, err
}

// readBlob reads a blob of at most max bytes (0: any size); callers hold mu.
func (r *Repo) readBlob(h plumbing.Hash, max int64) ([]byte, error) {
	b, err := object.GetBlob(r.repo.Storer, h)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, r.damaged(err))
	}
	if max > 0 && b.Size > max {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, b.Size, max)
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, r.damaged(err))
	}
	defer rd.Close()
	data := make([]byte, b.Size) // read once, not grown and copied
	if _, err := io.ReadFull(rd, data); err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, r.damaged(err))
	}
	return data, nil
}

// BlobHash returns the blob hash of the regular file at p, and false if there
// is no regular file there (missing, a directory, a symlink).
func (s *Snapshot) BlobHash(p string) (plumbing.Hash, bool) {
	p = cleanPath(p)
	s.repo.mu.Lock()
	defer s.repo.mu.Unlock()
	e, ok := s.entry(p)
	if !ok || !isRegular(e.Mode) {
		return plumbing.ZeroHash, false
	}
	return e.Hash, true
}

// TreeHash returns the hash of the directory at p ("" for the root).
func (s *Snapshot) TreeHash(p string) (plumbing.Hash, bool) {
	p = cleanPath(p)
	s.repo.mu.Lock()
	defer s.repo.mu.Unlock()
	t, ok := s.tree(p)
	if !ok {
		return plumbing.ZeroHash, false
	}
	return t.hash, true
}

func isRegular(m filemode.FileMode) bool {
	return m == filemode.Regular || m == filemode.Executable || m == filemode.Deprecated
}

// Walk calls fn for every regular file in the snapshot, in git tree order,
// with its path and blob hash. Symlinks and submodules are skipped. An error
// from fn stops the walk and is returned.
func (s *Snapshot) Walk(fn func(path string, blob plumbing.Hash) error) error {
	if s.root == nil {
		return nil
	}
	return s.walkTree(s.root, "", fn)
}

// walkTree walks the files under t. It reads trees under the lock but calls
// fn without it, so fn may use the snapshot.
func (s *Snapshot) walkTree(t *dirTree, dir string, fn func(path string, blob plumbing.Hash) error) error {
	for _, e := range t.entries {
		p := path.Join(dir, e.Name)
		switch {
		case isDirMode(e.Mode):
			s.repo.mu.Lock()
			sub, err := s.repo.dirTree(e.Hash)
			s.repo.mu.Unlock()
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if err := s.walkTree(sub, p, fn); err != nil {
				return err
			}
		case isRegular(e.Mode):
			if err := fn(p, e.Hash); err != nil {
				return err
			}
		}
	}
	return nil
}

// short abbreviates a commit hash for messages.
func short(h plumbing.Hash) string {
	if h.IsZero() {
		return "empty tree"
	}
	return h.String()[:8]
}

// walkUnder calls fn for every regular file below dir; fs.SkipAll from fn
// ends the walk without error.
func (s *Snapshot) walkUnder(dir string, fn func(p string) error) error {
	s.repo.mu.Lock()
	t, ok := s.tree(dir)
	s.repo.mu.Unlock()
	if !ok {
		return nil
	}
	err := s.walkTree(t, dir, func(p string, _ plumbing.Hash) error { return fn(p) })
	if errors.Is(err, fs.SkipAll) {
		return nil
	}
	return err
}

// names lists the entry names of the directory at dir.
func (s *Snapshot) names(dir string) []string {
	s.repo.mu.Lock()
	defer s.repo.mu.Unlock()
	t, ok := s.tree(dir)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(t.entries))
	for _, e := range t.entries {
		out = append(out, e.Name)
	}
	return out
}
