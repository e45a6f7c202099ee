package gitops

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// isStorageDamage reports whether err, met reading an object the clone must
// hold, says the object database is damaged rather than the content wrong.
func isStorageDamage(err error) bool {
	var pe *packfile.Error
	var ce flate.CorruptInputError
	for _, target := range []error{
		plumbing.ErrObjectNotFound, io.ErrUnexpectedEOF, io.EOF,
		zlib.ErrChecksum, zlib.ErrHeader, idxfile.ErrMalformedIdxFile,
		packfile.ErrMalformedPackFile, packfile.ErrInvalidDelta, packfile.ErrDeltaCmd,
		packfile.ErrReferenceDeltaNotFound, packfile.ErrInflatedSizeMismatch,
		dotgit.ErrPackfileNotFound, dotgit.ErrIdxNotFound,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return errors.As(err, &pe) || errors.As(err, &ce)
}

// damaged returns err, from reading an object that the clone must hold
// (one named by a tree or commit it holds, or the branch head), as an error
// wrapping [ErrCorrupt] when it means the object database is damaged, and
// marks the clone for repair at the next [Repo.Fetch]. Callers hold mu.
func (r *Repo) damaged(err error) error {
	if err == nil || errors.Is(err, ErrCorrupt) || !isStorageDamage(err) {
		return err
	}
	if r.damage == nil {
		r.damage = err
	}
	if r.wd == nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return fmt.Errorf("%w: %w (it is cloned again at the next fetch)", ErrCorrupt, err)
}

// Repair clones the repository again into the locked workdir, in place of
// a damaged clone, and fetches the branch. [Repo.Fetch] does it by itself
// when a read met damage ([ErrCorrupt]) since the last fetch, or when the
// fetch fails and the clone does not pass [Repo.Verify]; OpenRepo does it
// for a workdir that does not pass Verify. Local commits not pushed yet are
// lost, as after a rejected push.
func (r *Repo) Repair(ctx context.Context, cause error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.repairLocked(ctx, cause)
}

func (r *Repo) repairLocked(ctx context.Context, cause error) error {
	if r.wd == nil {
		return fmt.Errorf("repair: %s is not a gitcanary workdir", r.dir)
	}
	r.opts.Log.Info("the clone in the workdir is damaged: cloning again", "workdir", r.dir, "error", cause.Error())
	if r.store != nil {
		_ = r.store.Close()
		_ = r.objs.close()
		r.store = nil
	}
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return fmt.Errorf("repair %s: %w", r.dir, err)
	}
	for _, e := range entries {
		if e.Name() == lockFileName {
			continue
		}
		if err := os.RemoveAll(filepath.Join(r.dir, e.Name())); err != nil {
			return fmt.Errorf("repair %s: %w", r.dir, err)
		}
	}
	r.damage = nil
	r.head = plumbing.ZeroHash
	if err := r.init(); err != nil {
		return redact(fmt.Errorf("repair: %w", err), r.creds.secrets...)
	}
	_, err = r.fetchLocked(ctx)
	return err
}

// Verify checks the clone: every pack file matches its checksum and its
// index, and every object of the fetched branch head (the commit, all its
// trees, the blobs they name) is there. A failure wraps [ErrCorrupt].
func (r *Repo) Verify() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.verifyLocked()
}

func (r *Repo) verifyLocked() error {
	packs, err := filepath.Glob(filepath.Join(r.dir, "objects", "pack", "pack-*.pack"))
	if err != nil {
		return err
	}
	for _, p := range packs {
		if err := verifyPack(p); err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
	}
	ref, err := r.repo.Storer.Reference(r.trackingRef())
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: read %s: %w", ErrCorrupt, r.trackingRef(), err)
	}
	c, err := object.GetCommit(r.repo.Storer, ref.Hash())
	if err != nil {
		return fmt.Errorf("%w: read head commit %s: %w", ErrCorrupt, ref.Hash(), err)
	}
	t, err := c.Tree()
	if err != nil {
		return fmt.Errorf("%w: read the tree of %s: %w", ErrCorrupt, ref.Hash(), err)
	}
	return r.verifyTree(t, "")
}

// verifyTree checks that the objects under t are there.
func (r *Repo) verifyTree(t *object.Tree, dir string) error {
	for _, e := range t.Entries {
		p := dir + e.Name
		switch {
		case e.Mode == filemode.Dir:
			sub, err := object.GetTree(r.repo.Storer, e.Hash)
			if err != nil {
				return fmt.Errorf("%w: read tree %s: %w", ErrCorrupt, p, err)
			}
			if err := r.verifyTree(sub, p+"/"); err != nil {
				return err
			}
		case e.Mode == filemode.Submodule:
		default:
			if err := r.repo.Storer.HasEncodedObject(e.Hash); err != nil {
				return fmt.Errorf("%w: blob %s of %s: %w", ErrCorrupt, e.Hash, p, err)
			}
		}
	}
	return nil
}

// verifyPack checks a pack file against its trailing checksum and against
// the pack checksum its index records.
func verifyPack(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	const sum = sha1.Size
	if st.Size() < 12+sum {
		return fmt.Errorf("pack %s: truncated (%d bytes)", filepath.Base(path), st.Size())
	}
	h := sha1.New()
	if _, err := io.CopyN(h, f, st.Size()-sum); err != nil {
		return fmt.Errorf("pack %s: %w", filepath.Base(path), err)
	}
	trailer := make([]byte, sum)
	if _, err := io.ReadFull(f, trailer); err != nil {
		return fmt.Errorf("pack %s: %w", filepath.Base(path), err)
	}
	if !bytes.Equal(h.Sum(nil), trailer) {
		return fmt.Errorf("pack %s: checksum mismatch (truncated or overwritten)", filepath.Base(path))
	}
	// The index ends with the pack's checksum and its own: only that is
	// read (an index of a long history is tens of MiB).
	idxSum, err := readTail(strings.TrimSuffix(path, ".pack")+".idx", 2*sum)
	if err != nil {
		return fmt.Errorf("pack %s: index: %w", filepath.Base(path), err)
	}
	if len(idxSum) < 2*sum || !bytes.Equal(idxSum[:sum], trailer) {
		return fmt.Errorf("pack %s: its index belongs to another pack", filepath.Base(path))
	}
	return nil
}

// readTail reads the last n bytes of the file at path, or all of a
// shorter one.
func readTail(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	n = min(n, st.Size())
	buf := make([]byte, n)
	_, err = f.ReadAt(buf, st.Size()-n)
	return buf, err
}
