package gitops

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// indexPack writes, for packs git made, the very index git index-pack
// wrote.
func TestIndexPackWritesWhatGitWrites(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		repack []string
	}{
		{"gc --aggressive: offset deltas", []string{"gc", "-q", "--aggressive"}},
		{"reference deltas", []string{"-c", "repack.useDeltaBaseOffset=false", "repack", "-q", "-a", "-d", "-f"}},
		{"no deltas", []string{"-c", "pack.window=0", "repack", "-q", "-a", "-d", "-f"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := historyRepo(t, 60)
			run(t, dir, tc.repack...)
			idxPath := globT(t, dir, "objects/pack/*.idx")[0]
			want, err := os.ReadFile(idxPath)
			if err != nil {
				t.Fatal(err)
			}
			noExternal := func(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
				t.Errorf("asked for %s outside the pack", h)
				return 0, nil, plumbing.ErrObjectNotFound
			}
			got, sum, err := indexPack(strings.TrimSuffix(idxPath, ".idx")+".pack", noExternal)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(idxPath, sum.String()) {
				t.Errorf("pack checksum %s, the pack is %s", sum, idxPath)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("index of %d bytes differs from git's of %d bytes", len(got), len(want))
			}
		})
	}
}

// A truncated or overwritten pack is refused, naming the pack.
func TestIndexPackRefusesDamage(t *testing.T) {
	t.Parallel()
	dir := historyRepo(t, 10)
	run(t, dir, "gc", "-q")
	pack := globT(t, dir, "objects/pack/*.pack")[0]
	data, err := os.ReadFile(pack)
	if err != nil {
		t.Fatal(err)
	}
	for name, damaged := range map[string][]byte{
		"truncated":   data[:len(data)-30],
		"overwritten": append(append(bytes.Clone(data[:len(data)-25]), 'x'), data[len(data)-24:]...),
	} {
		p := t.TempDir() + "/pack-damaged.pack"
		if err := os.WriteFile(p, damaged, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := indexPack(p, func(plumbing.Hash) (plumbing.ObjectType, []byte, error) { return 0, nil, plumbing.ErrObjectNotFound })
		if err == nil || !isStorageDamage(err) || !strings.Contains(err.Error(), "pack-damaged.pack") {
			t.Errorf("%s: %v, want a malformed pack error naming it", name, err)
		}
	}
}
