package gitops

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// Digest hashes the state of paths in the snapshot, as recorded by
// [FS.ReadPaths]: for a file its blob hash, for a directory only the fact
// that it is one, for a path ending in "/" the hash of the directory's tree
// (its listing was read), and for a missing path that it is missing. Two
// snapshots with the same digest for an app's recorded paths render that app
// the same, so the caller can skip rendering. overlay holds content that
// replaces the snapshot's at those paths (nil: deleted), as [FS.Changes]
// returns it; it may be nil.
func (s *Snapshot) Digest(paths []string, overlay map[string][]byte) string {
	sorted := append([]string(nil), paths...)
	sort.Strings(sorted)
	h := sha256.New()
	for _, p := range sorted {
		var state string
		if data, ok := overlay[p]; ok {
			state = "missing"
			if data != nil {
				state = "blob " + plumbing.ComputeHash(plumbing.BlobObject, data).String()
			}
		} else if dir, ok := strings.CutSuffix(p, "/"); ok {
			if t, ok := s.TreeHash(dir); ok {
				state = "tree " + t.String()
			} else {
				state = "missing"
			}
		} else if b, ok := s.BlobHash(p); ok {
			state = "blob " + b.String()
		} else if _, ok := s.TreeHash(p); ok {
			state = "dir"
		} else {
			state = "missing"
		}
		fmt.Fprintf(h, "%s\x00%s\n", p, state)
	}
	return hex.EncodeToString(h.Sum(nil))
}
