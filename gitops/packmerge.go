package gitops

import (
	"fmt"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// Every push and every fetch adds a pack: a long-running `run` against a
// busy repository would pile up thousands, each holding two file
// descriptors and each searched by every lookup that misses. Once more
// than maxSmallPacks packs smaller than smallPackBytes exist, their objects
// are written into one new pack, and they are removed.
const (
	maxSmallPacks  = 16
	smallPackBytes = 4 << 20
)

// mergeSmallPacks merges the small packs into one when there are more than
// maxSmallPacks of them. Their objects are written whole (a fetched pack's
// deltas may have their base in another pack), in memory first: at most
// maxSmallPacks+1 packs of less than smallPackBytes each. The new pack is
// synced and in place before an old one goes, and the old ones leave the
// store before their files are removed: a read in this process finds each
// object in one of them whatever the moment.
func (s *objectStore) mergeSmallPacks() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stale {
		if err := s.scan(); err != nil {
			return err
		}
	}
	var small []*packFile
	for _, p := range s.packs {
		if p.size < smallPackBytes {
			small = append(small, p)
		}
	}
	if len(small) <= maxSmallPacks {
		return nil
	}
	objects := map[plumbing.Hash]*packedObject{}
	for _, p := range small {
		err := p.idx.forEach(func(h plumbing.Hash) error {
			if _, ok := objects[h]; ok {
				return nil
			}
			typ, data, err := s.readLocked(h, 0)
			if err != nil {
				return err
			}
			o, err := packBytes(typ, data)
			objects[h] = o
			return err
		})
		if err != nil {
			return fmt.Errorf("merge %s: %w", strings.TrimSuffix(p.path, ".pack"), err)
		}
	}
	pack, idx, err := encodePack(objects)
	if err != nil {
		return err
	}
	if err := writePack(s.dir, pack, idx); err != nil {
		return err
	}
	merged := packName(s.dir, pack) + ".pack"
	if err := s.scan(); err != nil { // the new pack comes in
		return err
	}
	gone := map[string]bool{}
	for _, p := range small {
		if p.path != merged {
			gone[p.path] = true
		}
	}
	kept := s.packs[:0]
	for _, p := range s.packs {
		if !gone[p.path] {
			kept = append(kept, p)
			continue
		}
		s.forget(p)
	}
	s.packs = kept
	for path := range gone {
		// The index first: a pack without one is not read (see scan).
		if err := os.Remove(strings.TrimSuffix(path, ".pack") + ".idx"); err != nil {
			return err
		}
		if err := os.Remove(path); err != nil {
			return err
		}
	}
	return nil
}

// forEach calls fn with the name of every object of the index, in order.
func (x *packIndex) forEach(fn func(plumbing.Hash) error) error {
	buf := make([]byte, idxSampleStep*20) // not x.block: fn may look up
	for first := 0; first < x.count; first += idxSampleStep {
		n := min(idxSampleStep, x.count-first)
		if _, err := x.f.ReadAt(buf[:n*20], x.namesAt+int64(first)*20); err != nil {
			return fmt.Errorf("%w: %s: %v", idxfile.ErrMalformedIdxFile, x.path, err)
		}
		for i := range n {
			if err := fn(plumbing.Hash(buf[i*20 : i*20+20])); err != nil {
				return err
			}
		}
	}
	return nil
}
