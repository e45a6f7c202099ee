package gitops

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// objectStore reads the objects of a bare repository: from its packs
// through their indexes searched on disk ([packIndex]), else loose. Its
// memory does not depend on how many objects the repository holds: a few
// samples of each index, a file descriptor per pack, 4 windows of pack
// bytes, and a cache of delta bases bounded in bytes. go-git's own storage
// instead decodes every pack index into maps, again after every push,
// which made an idle pass of a 200,000-commit monorepo hold 272 MiB.
type objectStore struct {
	dir string // the bare repository's

	mu      sync.Mutex
	packs   []*packFile // the last one a lookup found first
	stale   bool        // the pack directory changed: scan it again
	bases   baseCache
	windows windowCache
	// next is where the last commit read whole ends in its pack: git
	// stores a history's commits one after another, newest first, so
	// it is most likely where that commit's parent is.
	next packPos
}

// packPos is a position in a pack, and the name of the commit there
// once a miss of [objectStore.follow] worked it out.
type packPos struct {
	p    *packFile
	off  int64
	name plumbing.Hash
}

// maxDeltaBaseBytes bounds the delta bases kept decoded between reads,
// their bookkeeping included. The bases an object's chain leaves are of use
// to the next objects of a directory's history, the working set of a walk:
// with 4 MiB rather than 16 the history, describe and UI reads over 200,000
// commits took as long (1.65, 1.93, 2.42 s), and the idle pass, whose
// clone's first reads filled the cache with the chains of the head's files,
// peaked at 101 MiB instead of 124.
const maxDeltaBaseBytes = 4 << 20

func newObjectStore(dir string) *objectStore {
	return &objectStore{dir: dir, stale: true, bases: baseCache{lru[baseKey, cachedBase]{max: maxDeltaBaseBytes}}}
}

// invalidate makes the next lookup scan the pack directory again: a pack
// was added (by a fetch or a push).
func (s *objectStore) invalidate() {
	s.mu.Lock()
	s.stale = true
	s.mu.Unlock()
}

// scan opens the packs added to objects/pack since the last scan and
// forgets those removed. A pack counts once its index is there (git and
// [writePack] write the index last). Callers hold mu.
func (s *objectStore) scan() error {
	s.stale = false
	idxs, err := filepath.Glob(filepath.Join(s.dir, "objects", "pack", "pack-*.idx"))
	if err != nil {
		return err
	}
	known := make(map[string]*packFile, len(s.packs))
	for _, p := range s.packs {
		known[p.idx.path] = p
	}
	packs := make([]*packFile, 0, len(idxs))
	for _, path := range idxs {
		if p, ok := known[path]; ok {
			packs = append(packs, p)
			delete(known, path)
			continue
		}
		pack := strings.TrimSuffix(path, ".idx") + ".pack"
		st, err := os.Stat(pack)
		if err != nil {
			continue // an index without its pack: a repack removing it
		}
		idx, err := openPackIndex(path)
		if err != nil {
			s.stale = true
			return err
		}
		if name := "pack-" + idx.packSum.String() + ".idx"; filepath.Base(path) != name {
			_ = idx.close()
			s.stale = true
			return fmt.Errorf("%w: %s describes the pack %s", packfile.ErrMalformedPackFile, filepath.Base(path), idx.packSum)
		}
		packs = append(packs, &packFile{idx: idx, path: pack, size: st.Size(), win: &s.windows})
	}
	for _, p := range known {
		s.forget(p)
	}
	s.packs = packs
	return nil
}

// forget closes p, a pack no longer read, and drops what is cached of it.
func (s *objectStore) forget(p *packFile) {
	s.bases.dropPack(p)
	if s.next.p == p {
		s.next = packPos{}
	}
	_ = p.close()
}

// find returns the pack and offset of h, or nil; callers hold mu.
func (s *objectStore) find(h plumbing.Hash) (*packFile, int64, error) {
	if s.stale {
		if err := s.scan(); err != nil {
			return nil, 0, err
		}
	}
	for i, p := range s.packs {
		off, ok, err := p.idx.find(h)
		if err != nil {
			return nil, 0, err
		}
		if ok {
			if i > 0 { // most lookups of a pass land in the same pack
				s.packs[0], s.packs[i] = s.packs[i], s.packs[0]
			}
			return p, off, nil
		}
	}
	return nil, 0, nil
}

// has reports whether the repository holds h.
func (s *objectStore) has(h plumbing.Hash) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, _, err := s.find(h)
	if err != nil || p != nil {
		return p != nil, err
	}
	_, err = os.Stat(s.loosePath(h))
	if err == nil {
		return true, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// read returns the type and content of object h, or
// [plumbing.ErrObjectNotFound] itself (go-git's fetch compares with ==).
func (s *objectStore) read(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readLocked(h, 0)
}

// readCommit is read for a commit: one stored right after the last commit
// read (its parent, in a history walked newest first) is read without a
// lookup in the pack index, once its content hashes to h.
func (s *objectStore) readCommit(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if data, ok := s.follow(h); ok {
		return plumbing.CommitObject, data, nil
	}
	return s.readLocked(h, 0)
}

// follow reads the commit at s.next if it is h. Any error is left to
// the lookup that follows a miss to report.
func (s *objectStore) follow(h plumbing.Hash) ([]byte, bool) {
	n := s.next
	if n.p == nil || !n.name.IsZero() && n.name != h {
		return nil, false
	}
	e, err := n.p.entry(n.off)
	if err != nil || e.typ != plumbing.CommitObject {
		s.next = packPos{}
		return nil, false
	}
	data, end, err := n.p.inflateEnd(e)
	if err != nil {
		s.next = packPos{}
		return nil, false
	}
	// Kept on a miss: a head read again and again hashes its parent once.
	if s.next.name = plumbing.ComputeHash(plumbing.CommitObject, data); s.next.name != h {
		return nil, false
	}
	s.next = packPos{p: n.p, off: end}
	return data, true
}

func (s *objectStore) readLocked(h plumbing.Hash, depth int) (plumbing.ObjectType, []byte, error) {
	for attempt := 0; ; attempt++ {
		p, off, err := s.find(h)
		if err != nil {
			return 0, nil, err
		}
		if p != nil {
			return s.readPacked(p, off, depth)
		}
		t, data, err := s.readLoose(h)
		if !errors.Is(err, plumbing.ErrObjectNotFound) || attempt > 0 {
			return t, data, err
		}
		// A pack may have come since the last scan.
		s.stale = true
	}
}

// readPacked returns the object at off in p, rebuilt from its delta chain
// when it is a delta: the chain is followed down to a whole object or a
// cached base, then each delta is applied on the way back up.
func (s *objectStore) readPacked(p *packFile, off int64, depth int) (plumbing.ObjectType, []byte, error) {
	type link struct {
		p   *packFile
		off int64
		e   packEntry
	}
	var chain []link
	var typ plumbing.ObjectType
	var data []byte
	for cur, curOff := p, off; ; {
		if b, ok := s.bases.get(cur, curOff); ok {
			typ, data = b.typ, b.data
			break
		}
		e, err := cur.entry(curOff)
		if err != nil {
			return 0, nil, err
		}
		if e.typ != plumbing.OFSDeltaObject && e.typ != plumbing.REFDeltaObject {
			var end int64
			if data, end, err = cur.inflateEnd(e); err != nil {
				return 0, nil, err
			}
			typ = e.typ
			if typ == plumbing.CommitObject && len(chain) == 0 {
				s.next = packPos{p: cur, off: end}
			}
			if len(chain) > 0 {
				s.bases.put(cur, curOff, typ, data)
			}
			break
		}
		chain = append(chain, link{cur, curOff, e})
		if len(chain)+depth > maxDeltaChain {
			return 0, nil, cur.malformed(off, "a delta chain longer than %d", maxDeltaChain)
		}
		if e.typ == plumbing.OFSDeltaObject {
			curOff = e.baseOff
			continue
		}
		// A REF_DELTA's base may be anywhere: in this pack, another, or
		// loose (a thin pack completed by git).
		if typ, data, err = s.readLocked(e.baseRef, depth+len(chain)); err != nil {
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				err = fmt.Errorf("%w: %s", packfile.ErrReferenceDeltaNotFound, e.baseRef)
			}
			return 0, nil, cur.malformed(curOff, "delta base: %v", err)
		}
		break
	}
	for i := len(chain) - 1; i >= 0; i-- {
		l := chain[i]
		delta, err := l.p.inflate(l.e)
		if err != nil {
			return 0, nil, err
		}
		if data, err = packfile.PatchDelta(data, delta); err != nil {
			return 0, nil, l.p.malformed(l.off, "%v", err)
		}
		if i > 0 {
			s.bases.put(l.p, l.off, typ, data)
		}
	}
	return typ, data, nil
}

func (s *objectStore) loosePath(h plumbing.Hash) string {
	hex := h.String()
	return filepath.Join(s.dir, "objects", hex[:2], hex[2:])
}

// readLoose reads the loose object h: a zlib stream of "type size\0"
// followed by the content.
func (s *objectStore) readLoose(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	f, err := os.Open(s.loosePath(h))
	if errors.Is(err, os.ErrNotExist) {
		// Not wrapped: go-git compares with ==.
		return 0, nil, plumbing.ErrObjectNotFound
	}
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	bad := func(err error) error { return fmt.Errorf("loose object %s: %w", h, err) }
	zr, err := zlib.NewReader(f)
	if err != nil {
		return 0, nil, bad(err)
	}
	defer zr.Close()
	all, err := io.ReadAll(zr)
	if err != nil {
		return 0, nil, bad(err)
	}
	nul := bytes.IndexByte(all, 0)
	typName, sizeText, ok := strings.Cut(string(all[:max(nul, 0)]), " ")
	typ, terr := plumbing.ParseObjectType(typName)
	size, serr := strconv.ParseInt(sizeText, 10, 64)
	if nul < 0 || !ok || terr != nil || serr != nil || size != int64(len(all)-nul-1) {
		return 0, nil, bad(fmt.Errorf("%w: bad header", packfile.ErrMalformedPackFile))
	}
	return typ, all[nul+1:], nil
}

// close releases the packs' indexes and files.
func (s *objectStore) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, p := range s.packs {
		errs = append(errs, p.close())
	}
	s.packs, s.stale, s.next = nil, true, packPos{}
	s.bases.clear()
	return errors.Join(errs...)
}
