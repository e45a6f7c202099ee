package gitops

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-logr/logr"
)

// cachedStorage is the clone's object storage: an object cache in front of
// the objects on disk, and the objects of commits not pushed yet, kept in
// memory. Objects on disk are read through an [objectStore], whose memory
// does not grow with the repository's history; go-git's filesystem storage
// keeps references, the config and the writing of fetched packs.
//
// go-git's storage opens a loose object's file before it looks in its own
// cache, so without the cache every tree lookup of a pass costs a few
// syscalls, and an idle pass looks up the same trees again and again.
//
// A pass's commits are built in memory (a file per blob and tree, each
// compressed and renamed into place, cost more than the rest of a commit):
// once pushed they are written to disk as one packfile (persist); a pass
// whose push is rejected drops them (discard).
type cachedStorage struct {
	*filesystem.Storage
	dir     string // the bare repository's
	log     logr.Logger
	objects *objectCache
	disk    *objectStore

	mu      sync.Mutex
	pending map[plumbing.Hash]*packedObject
	bytes   int64 // of pending, compressed
	// contents keeps the newest pending trees whole (see setDelta).
	contents contentCache
}

func newCachedStorage(s *filesystem.Storage, dir string, log logr.Logger) *cachedStorage {
	return &cachedStorage{Storage: s, dir: dir, log: log, objects: newObjectCache(), disk: newObjectStore(dir), pending: map[plumbing.Hash]*packedObject{}, contents: contentCache{max: 4 << 20}}
}

// pendingObject returns the pending object h as an object, or nil.
func (s *cachedStorage) pendingObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[h]
	if !ok {
		return nil, nil
	}
	if t != plumbing.AnyObject && p.typ != t {
		return nil, plumbing.ErrObjectNotFound
	}
	data, err := s.pendingContent(h, p)
	if err != nil {
		return nil, err
	}
	o := &plumbing.MemoryObject{}
	o.SetType(p.typ)
	_, err = o.Write(data)
	return o, err
}

// EncodedObject returns the object from the pending ones, from the cache,
// or reads and caches it.
func (s *cachedStorage) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if o, err := s.pendingObject(t, h); o != nil || err != nil {
		return o, err
	}
	if o, ok := s.objects.get(h); ok && (t == plumbing.AnyObject || o.Type() == t) {
		return o, nil
	}
	read := s.disk.read
	if t == plumbing.CommitObject {
		read = s.disk.readCommit
	}
	typ, data, err := read(h)
	if err != nil {
		return nil, err
	}
	if t != plumbing.AnyObject && typ != t {
		return nil, plumbing.ErrObjectNotFound
	}
	o := &storedObject{hash: h, typ: typ, data: data}
	s.objects.put(o)
	return o, nil
}

// objectCache keeps the objects read last, with their bookkeeping
// ([lru]): commits up to 32 MiB, trees and files up to maxContentBytes,
// apart, so that a walk of a long history, which reads each commit once,
// does not push out the trees and files passes and pages read again and
// again. It is safe for concurrent use.
type objectCache struct {
	mu       sync.Mutex
	commits  lru[plumbing.Hash, *storedObject]
	contents lru[plumbing.Hash, *storedObject]
}

// maxContentBytes bounds the trees and files kept: `describe` of 5,000
// canaries reads 5,000 apps' trees and Canary files, three times in the
// benchmark, and took 2.2 s with 32 MiB, 1.1 s with 64.
const maxContentBytes = 64 << 20

func newObjectCache() *objectCache {
	c := &objectCache{}
	c.commits.max, c.contents.max = 32<<20, maxContentBytes
	return c
}

// objectOverhead is what keeping an object costs besides its bytes, as
// measured by TestObjectCacheBoundsTheHeap: the object (48 bytes), its
// list element (48), its entry (48) and its map entry (a 20-byte key, more
// while the map grows).
const objectOverhead = 300

func (c *objectCache) get(h plumbing.Hash) (*storedObject, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o, ok := c.contents.get(h); ok {
		return o, true
	}
	return c.commits.get(h)
}

func (c *objectCache) put(o *storedObject) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := &c.contents
	if o.typ == plumbing.CommitObject {
		l = &c.commits
	}
	l.put(o.hash, o, cap(o.data)+objectOverhead)
}

// SetEncodedObject keeps a new object in memory, compressed as a pack
// entry, until it is pushed.
func (s *cachedStorage) SetEncodedObject(o plumbing.EncodedObject) (plumbing.Hash, error) {
	h := o.Hash()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pending[h]; ok {
		return h, nil
	}
	if ok, err := s.disk.has(h); err != nil {
		return h, err
	} else if ok {
		return h, nil // already on disk: an unchanged blob or tree
	}
	data, err := objectBytes(o)
	if err != nil {
		return h, fmt.Errorf("read object %s: %w", h, err)
	}
	p, err := packBytes(o.Type(), data)
	if err != nil {
		return h, fmt.Errorf("compress object %s: %w", h, err)
	}
	s.pending[h] = p
	s.bytes += int64(len(p.z))
	if p.typ == plumbing.TreeObject {
		s.contents.put(h, data) // the base of the tree's next version
	}
	return h, nil
}

// HasEncodedObject reports pending objects too.
func (s *cachedStorage) HasEncodedObject(h plumbing.Hash) error {
	s.mu.Lock()
	_, ok := s.pending[h]
	s.mu.Unlock()
	if ok {
		return nil
	}
	ok, err := s.disk.has(h)
	if err == nil && !ok {
		err = plumbing.ErrObjectNotFound
	}
	return err
}

// EncodedObjectSize reports pending objects too.
func (s *cachedStorage) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	s.mu.Lock()
	p, ok := s.pending[h]
	s.mu.Unlock()
	if ok {
		return p.size, nil
	}
	o, err := s.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return 0, err
	}
	return o.Size(), nil
}

// persist writes the pending objects to disk as one packfile and forgets
// them.
func (s *cachedStorage) persist() error {
	p, err := s.pack()
	if err != nil || p == nil {
		return err
	}
	return s.persistPack(p)
}

// pendingBytes is the compressed size of the pending objects.
func (s *cachedStorage) pendingBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// has reports whether h is a pending object.
func (s *cachedStorage) has(h plumbing.Hash) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.pending[h]
	return ok
}

// encodedPack is a packfile of the pending objects, with its index.
type encodedPack struct {
	data []byte
	idx  []byte
}

// pack encodes the pending objects as one packfile ([encodePack]): it is
// both what a push sends and what is then written to disk. It is nil when
// nothing is pending.
func (s *cachedStorage) pack() (*encodedPack, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return nil, nil
	}
	data, idx, err := encodePack(s.pending)
	if err != nil {
		return nil, err
	}
	return &encodedPack{data: data, idx: idx}, nil
}

// persistPack writes p, made by [cachedStorage.pack] from the pending
// objects, to disk with its index, and forgets those objects: they are on
// disk now, and the storage indexes its packs again to find them.
func (s *cachedStorage) persistPack(p *encodedPack) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := writePack(s.dir, p.data, p.idx); err != nil {
		return fmt.Errorf("write the pushed objects: %w", err)
	}
	s.Storage.Reindex()
	s.disk.invalidate()
	clear(s.pending)
	s.contents.reset()
	s.bytes = 0
	s.mergeSmallPacks()
	return nil
}

// mergeSmallPacks merges the small packs once they pile up
// ([objectStore.mergeSmallPacks]). The pack just written is in place
// already: a merge that fails is logged, not the write's failure, and is
// tried again after the next pack.
func (s *cachedStorage) mergeSmallPacks() {
	if err := s.disk.mergeSmallPacks(); err != nil {
		s.log.Error(err, "merge the small packs of the clone", "dir", s.dir)
	}
	s.Storage.Reindex()
}

// discard forgets the pending objects: their commits were not pushed and
// never will be.
func (s *cachedStorage) discard() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.pending)
	s.contents.reset()
	s.bytes = 0
}

// DeltaObject returns the object whole (the packfile encoder of a push
// may be given a delta, or not).
func (s *cachedStorage) DeltaObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	return s.EncodedObject(t, h)
}

// PackfileWriter writes a fetched pack into objects/pack and indexes it
// with [indexPack], as go-git's storage would but without loading every
// pack index first nor keeping hundreds of bytes per object while it
// indexes: a clone of a long history fits in a bounded memory.
func (s *cachedStorage) PackfileWriter() (io.WriteCloser, error) {
	f, err := os.CreateTemp(filepath.Join(s.dir, "objects", "pack"), "tmp_pack_")
	if err != nil {
		return nil, err
	}
	return &fetchedPack{File: f, s: s}, nil
}

// fetchedPack is a pack being fetched, in a temporary file until Close
// indexes it and renames it into place.
type fetchedPack struct {
	*os.File
	s *cachedStorage
}

func (w *fetchedPack) Close() error {
	tmp := w.File.Name()
	defer os.Remove(tmp)
	st, err := w.File.Stat()
	if err == nil {
		err = w.File.Sync()
	}
	if cerr := w.File.Close(); err == nil {
		err = cerr
	}
	if err != nil || st.Size() == 0 {
		return err
	}
	entries, sum, release, err := indexPack(tmp, w.s.disk.read)
	if err != nil {
		return fmt.Errorf("index the fetched pack: %w", err)
	}
	name := filepath.Join(w.s.dir, "objects", "pack", "pack-"+sum.String())
	err = os.Chmod(tmp, 0o444)
	if err == nil {
		err = os.Rename(tmp, name+".pack")
	}
	if err == nil {
		err = writeFileAtomicFunc(name+".idx", func(w io.Writer) error { return encodeIndex(w, entries, sum) })
	}
	release()
	if err != nil {
		return err
	}
	w.s.Storage.Reindex()
	w.s.disk.invalidate()
	w.s.mergeSmallPacks()
	return nil
}

// close releases the packs the storage reads; s may be nil (a clone that
// failed to open).
func (s *cachedStorage) close() error {
	if s == nil {
		return nil
	}
	return s.disk.close()
}
