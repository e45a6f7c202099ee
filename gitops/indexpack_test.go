package gitops

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
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
			checkIndexAsGit(t, globT(t, dir, "objects/pack/*.idx")[0])
		})
	}
}

// A pack of more than 64 KiB of entries has them off the Go heap while it
// is indexed (entryArray), and its index is still git's.
func TestIndexPackOfManyObjects(t *testing.T) {
	t.Parallel()
	dir := historyRepo(t, 600)
	run(t, dir, "gc", "-q")
	idx := globT(t, dir, "objects/pack/*.idx")[0]
	objects, deltas := packLayout(t, dir)
	if uintptr(len(objects))*unsafe.Sizeof(indexedEntry{}) < 64<<10 || deltas == 0 {
		t.Fatalf("%d objects, %d deltas: want more than 64 KiB of entries, and deltas", len(objects), deltas)
	}
	checkIndexAsGit(t, idx)
}

// checkIndexAsGit indexes the pack of the index git wrote at idxPath, a
// pack without a delta on an object outside it, and wants the same index.
func checkIndexAsGit(t *testing.T, idxPath string) {
	t.Helper()
	want, err := os.ReadFile(idxPath)
	if err != nil {
		t.Fatal(err)
	}
	noExternal := func(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
		t.Errorf("asked for %s outside the pack", h)
		return 0, nil, plumbing.ErrObjectNotFound
	}
	entries, sum, release, err := indexPack(strings.TrimSuffix(idxPath, ".idx")+".pack", noExternal)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if !strings.Contains(idxPath, sum.String()) {
		t.Errorf("pack checksum %s, the pack is %s", sum, idxPath)
	}
	var idx bytes.Buffer
	if err := encodeIndex(&idx, entries, sum); err != nil {
		t.Fatal(err)
	}
	if got := idx.Bytes(); !bytes.Equal(got, want) {
		t.Fatalf("index of %d bytes differs from git's of %d bytes", len(got), len(want))
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
		err := indexDamaged(p)
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

// testPack writes a pack of entries (each an entry's header and data,
// before compression) and its checksum, under a header that says count
// objects.
func testPack(t *testing.T, name string, count uint32, entries ...[]byte) string {
	t.Helper()
	var pack bytes.Buffer
	pack.WriteString("PACK\x00\x00\x00\x02")
	pack.Write(binary.BigEndian.AppendUint32(nil, count))
	for _, e := range entries {
		pack.Write(e)
	}
	sum := sha1.Sum(pack.Bytes())
	pack.Write(sum[:])
	path := t.TempDir() + "/" + name
	if err := os.WriteFile(path, pack.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// packed is a pack entry: its header, then data deflated (by one writer:
// a zlib writer allocates most of a megabyte).
func packed(header []byte, data []byte) []byte {
	deflater.Lock()
	defer deflater.Unlock()
	var z bytes.Buffer
	if deflater.w == nil {
		deflater.w = zlib.NewWriter(&z)
	} else {
		deflater.w.Reset(&z)
	}
	deflater.w.Write(data)
	deflater.w.Close()
	return append(header, z.Bytes()...)
}

var deflater struct {
	sync.Mutex
	w *zlib.Writer
}

// ofsDelta is the entry of an offset delta at off, based on the entry at
// base, that makes the 2 bytes of content from a base of 2 bytes.
func ofsDelta(off, base int, content string) []byte {
	rel := off - base
	enc := []byte{byte(rel & 0x7f)}
	for rel >>= 7; rel > 0; rel >>= 7 {
		rel--
		enc = append([]byte{byte(0x80 | rel&0x7f)}, enc...)
	}
	delta := append([]byte{2, 2, 2}, content...)
	return packed(append(packEntryHeader(plumbing.OFSDeltaObject, int64(len(delta))), enc...), delta)
}

func indexDamaged(path string) error {
	_, _, _, err := indexPack(path, func(plumbing.Hash) (plumbing.ObjectType, []byte, error) { return 0, nil, plumbing.ErrObjectNotFound })
	return err
}

// An offset delta whose base offset falls inside another entry is refused
// while the pack is read, naming the pack and the delta's offset.
func TestIndexPackRefusesADeltaBaseThatIsNotAnEntry(t *testing.T) {
	t.Parallel()
	blob := packed(packEntryHeader(plumbing.BlobObject, 2), []byte("ab"))
	delta := 12 + len(blob)
	path := testPack(t, "pack-inside.pack", 2, blob, ofsDelta(delta, 14, "ba")) // 14: inside the blob's entry
	err := indexDamaged(path)
	want := fmt.Sprintf("pack-inside.pack at offset %d: delta base offset 14 is not an entry", delta)
	if err == nil || !isStorageDamage(err) || !strings.Contains(err.Error(), want) {
		t.Errorf("%v, want a malformed pack error: %s", err, want)
	}
}

// A pack whose header says it holds 4 billion objects is read for what it
// holds: it did allocate 160 GiB for them first, and the process died.
func TestIndexPackDoesNotTrustItsCount(t *testing.T) {
	t.Parallel()
	blob := packed(packEntryHeader(plumbing.BlobObject, 2), []byte("ab"))
	err := indexDamaged(testPack(t, "pack-count.pack", 1<<32-1, blob))
	if err == nil || !isStorageDamage(err) || !strings.Contains(err.Error(), "pack-count.pack at offset") {
		t.Errorf("%v, want a malformed pack error naming it", err)
	}
}

// A delta chain longer than the object store reads is refused, not
// recursed down; and a reference delta whose result is its own base is
// resolved once: it recursed until the stack overflowed.
func TestIndexPackBoundsDeltaChains(t *testing.T) {
	t.Parallel()
	t.Run("too long", func(t *testing.T) {
		t.Parallel()
		entries := [][]byte{packed(packEntryHeader(plumbing.BlobObject, 2), []byte("ab"))}
		offs := []int{12}
		for i := range maxDeltaChain + 1 {
			off := offs[i] + len(entries[i])
			entries = append(entries, ofsDelta(off, offs[i], []string{"ba", "ab"}[i%2]))
			offs = append(offs, off)
		}
		err := indexDamaged(testPack(t, "pack-deep.pack", uint32(len(entries)), entries...))
		want := fmt.Sprintf("at offset %d: a delta chain longer than %d", offs[len(offs)-1], maxDeltaChain)
		if err == nil || !isStorageDamage(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("%v, want a malformed pack error: %s", err, want)
		}
	})
	t.Run("its own base", func(t *testing.T) {
		t.Parallel()
		blob := packed(packEntryHeader(plumbing.BlobObject, 2), []byte("ab"))
		base := plumbing.ComputeHash(plumbing.BlobObject, []byte("ab"))
		delta := []byte{2, 2, 2, 'a', 'b'}
		same := packed(append(packEntryHeader(plumbing.REFDeltaObject, int64(len(delta))), base[:]...), delta)
		entries, _, release, err := indexPack(testPack(t, "pack-same.pack", 2, blob, same), nil)
		if err != nil || len(entries) != 2 || entries[0].hash != base || entries[1].hash != base {
			t.Fatalf("%v, %+v; want both entries named %s", err, entries, base)
		}
		release()
	})
}

// Whatever a remote sends, indexing it returns an index or an error: no
// panic, no allocation its size does not back. A pack that is indexed has
// every object named, and its index finds each one.
func FuzzIndexPack(f *testing.F) {
	blob := packed(packEntryHeader(plumbing.BlobObject, 2), []byte("ab"))
	base := plumbing.ComputeHash(plumbing.BlobObject, []byte("ab"))
	refDelta := packed(append(packEntryHeader(plumbing.REFDeltaObject, 5), base[:]...), []byte{2, 2, 2, 'b', 'a'})
	f.Add(uint32(1), blob)
	f.Add(uint32(2), append(slices.Clone(blob), ofsDelta(12+len(blob), 12, "ba")...))
	f.Add(uint32(2), append(slices.Clone(blob), refDelta...))
	f.Add(uint32(1), refDelta)
	f.Fuzz(func(t *testing.T, count uint32, body []byte) {
		path := testPack(t, "pack-fuzz.pack", count, body)
		entries, sum, release, err := indexPack(path, func(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
			if h == base {
				return plumbing.BlobObject, []byte("ab"), nil
			}
			return 0, nil, plumbing.ErrObjectNotFound
		})
		if err != nil {
			if !isStorageDamage(err) {
				t.Fatalf("%v: not a malformed pack error", err)
			}
			return
		}
		defer release()
		var idx bytes.Buffer
		if err := encodeIndex(&idx, entries, sum); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+".idx", idx.Bytes(), 0o444); err != nil {
			t.Fatal(err)
		}
		x, err := openPackIndex(path + ".idx")
		if err != nil {
			t.Fatal(err)
		}
		defer x.close()
		for i, e := range entries {
			if e.hash.IsZero() {
				t.Fatalf("entry at %d not named", e.off)
			}
			if i > 0 && bytes.Compare(entries[i-1].hash[:], e.hash[:]) > 0 {
				t.Fatal("entries out of order")
			}
			if _, ok, err := x.find(e.hash); !ok || err != nil {
				t.Fatalf("%s not found in the index: %v", e.hash, err)
			}
		}
	})
}
