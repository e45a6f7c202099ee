package gitops

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"

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
			entries, sum, err := indexPack(strings.TrimSuffix(idxPath, ".idx")+".pack", noExternal)
			if err != nil {
				t.Fatal(err)
			}
			var idx bytes.Buffer
			if err := encodeIndex(&idx, entries, sum); err != nil {
				t.Fatal(err)
			}
			got := idx.Bytes()
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

// Indexing keeps 40 bytes an object: over 200,000 commits (1.2 million
// objects) the records are most of what a clone holds in memory.
func TestIndexedEntrySize(t *testing.T) {
	if got := unsafe.Sizeof(indexedEntry{}); got > 40 {
		t.Errorf("an indexed entry takes %d bytes, want at most 40", got)
	}
}

// Offsets past 2 GiB go to the index's table of 64-bit offsets, in the
// order of the names, and read back as they were.
func TestEncodeIndexLargeOffsets(t *testing.T) {
	t.Parallel()
	offsets := []int64{12, 1<<31 - 1, 1 << 31, 5 << 30, 1 << 40, 300}
	var entries []indexedEntry
	for i, off := range offsets {
		var h plumbing.Hash
		h[0], h[19] = byte(i*40), byte(i)
		entries = append(entries, indexedEntry{hash: h, off: off, crc: uint32(i)})
	}
	var idx bytes.Buffer
	if err := encodeIndex(&idx, entries, plumbing.Hash{1}); err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/pack-x.idx"
	if err := os.WriteFile(path, idx.Bytes(), 0o444); err != nil {
		t.Fatal(err)
	}
	x, err := openPackIndex(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.close()
	if x.large != 3 {
		t.Errorf("%d large offsets, want 3", x.large)
	}
	for _, e := range entries {
		off, ok, err := x.find(e.hash)
		if err != nil || !ok || off != e.off {
			t.Errorf("%s: offset %d, %v, %v; want %d", e.hash, off, ok, err, e.off)
		}
	}
}

// An offset delta whose base offset falls inside another entry is refused
// while the pack is read, naming the pack and the delta's offset.
func TestIndexPackRefusesADeltaBaseThatIsNotAnEntry(t *testing.T) {
	t.Parallel()
	deflate := func(b []byte) []byte {
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		w.Write(b)
		w.Close()
		return z.Bytes()
	}
	var pack bytes.Buffer
	pack.WriteString("PACK\x00\x00\x00\x02\x00\x00\x00\x02")
	pack.Write(packEntryHeader(plumbing.BlobObject, 5))
	pack.Write(deflate([]byte("hello")))
	delta := pack.Len()
	pack.Write(packEntryHeader(plumbing.OFSDeltaObject, 4))
	pack.WriteByte(byte(delta - 14)) // offset 14: inside the blob's entry
	pack.Write(deflate([]byte{5, 5, 0x90, 5}))
	sum := sha1.Sum(pack.Bytes())
	pack.Write(sum[:])
	path := t.TempDir() + "/pack-inside.pack"
	if err := os.WriteFile(path, pack.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := indexPack(path, func(plumbing.Hash) (plumbing.ObjectType, []byte, error) { return 0, nil, plumbing.ErrObjectNotFound })
	want := fmt.Sprintf("pack-inside.pack at offset %d: delta base offset 14 is not an entry", delta)
	if err == nil || !isStorageDamage(err) || !strings.Contains(err.Error(), want) {
		t.Errorf("%v, want a malformed pack error: %s", err, want)
	}
}
