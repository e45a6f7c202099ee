package gitops

import (
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// cachedStorage puts an object cache in front of the filesystem storage.
// go-git's storage opens a loose object's file before it looks in its own
// cache, so without this every tree lookup of a pass costs a few syscalls;
// gitcanary's own commits are loose objects, and an idle pass looks up the
// same trees again and again.
type cachedStorage struct {
	*filesystem.Storage
	objects cache.Object
}

func newCachedStorage(s *filesystem.Storage) *cachedStorage {
	return &cachedStorage{Storage: s, objects: cache.NewObjectLRU(32 * cache.MiByte)}
}

// EncodedObject returns the object from the cache, or reads and caches it.
func (s *cachedStorage) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if o, ok := s.objects.Get(h); ok && (t == plumbing.AnyObject || o.Type() == t) {
		return o, nil
	}
	o, err := s.Storage.EncodedObject(t, h)
	if err != nil {
		return nil, err
	}
	s.objects.Put(o)
	return o, nil
}
