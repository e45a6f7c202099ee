package gitops

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// packedHistory is historyRepo of commits commits and one more adding a
// file of random bytes spanning several windows, in one pack git wrote.
func packedHistory(t *testing.T, commits int) string {
	t.Helper()
	dir := historyRepo(t, commits)
	big := make([]byte, 4*windowSize+windowSize/2)
	_, _ = rand.Read(big)
	runInput(t, dir, fmt.Sprintf("commit refs/heads/main\ncommitter CI <ci@example.com> 1800000000 +0000\ndata 3\nbig\nfrom refs/heads/main^0\nM 100644 inline big.bin\ndata %d\n%s\n", len(big), big), "fast-import", "--quiet")
	run(t, dir, "gc", "-q")
	packs := globT(t, dir, "objects/pack/*.pack")
	if len(packs) != 1 {
		t.Fatalf("%d packs, want 1", len(packs))
	}
	if st, err := os.Stat(packs[0]); err != nil || st.Size() < 4*windowSize {
		t.Fatalf("the pack spans less than 4 windows: %v, %v", st, err)
	}
	return dir
}

// Reading an entry through the windows stops at its end: where git
// verify-pack says the next entry starts, across window boundaries.
func TestPackEntryEndsWhereTheNextStarts(t *testing.T) {
	t.Parallel()
	dir := packedHistory(t, 120)
	s := checkStore(t, dir)
	offsets, _ := packLayout(t, dir)
	starts := make([]int64, 0, len(offsets))
	for _, off := range offsets {
		starts = append(starts, off)
	}
	slices.Sort(starts)
	st, err := os.Stat(s.packs[0].path)
	if err != nil {
		t.Fatal(err)
	}
	starts = append(starts, st.Size()-20) // the checksum follows the last entry
	crossing := 0
	for i, off := range starts[:len(starts)-1] {
		e, err := s.packs[0].entry(off)
		if err != nil {
			t.Fatal(err)
		}
		_, end, err := s.packs[0].inflateEnd(e)
		if err != nil {
			t.Fatal(err)
		}
		if end != starts[i+1] {
			t.Fatalf("the entry at %d ends at %d, git verify-pack: the next starts at %d", off, end, starts[i+1])
		}
		if off/windowSize != (end-1)/windowSize {
			crossing++
		}
	}
	if crossing == 0 {
		t.Fatal("no entry crosses a window boundary")
	}
}

// A first-parent walk of a history git packed finds each parent right
// after its child, without a lookup in the pack index; a commit that is
// not there is looked up.
func TestObjectStoreWalksCommitsInPackOrder(t *testing.T) {
	t.Parallel()
	dir := packedHistory(t, 40)
	want := allObjects(t, dir)
	s := newObjectStore(dir)
	defer s.close()
	head := plumbing.NewHash(strings.TrimSpace(run(t, dir, "rev-parse", "main")))
	typ, data, err := s.readCommit(head)
	if err != nil || typ != plumbing.CommitObject || !bytes.Equal(data, want[head].data) {
		t.Fatalf("read the head: %s %q %v", typ, data, err)
	}
	walked := 1
	for {
		_, rest, ok := bytes.Cut(data, []byte("\nparent "))
		if !ok {
			break
		}
		parent := plumbing.NewHash(string(rest[:40]))
		s.mu.Lock()
		data, ok = s.follow(parent)
		s.mu.Unlock()
		if !ok {
			t.Fatalf("commit %s, %d after the head, is not stored after its child", parent, walked)
		}
		if !bytes.Equal(data, want[parent].data) {
			t.Fatalf("commit %s: %q, git reads %q", parent, data, want[parent].data)
		}
		walked++
	}
	if walked != 41 {
		t.Fatalf("walked %d commits, want 41", walked)
	}

	// Not the next commit: looked up, and read all the same.
	s.mu.Lock()
	_, ok := s.follow(head)
	s.mu.Unlock()
	if ok {
		t.Fatal("the head was followed from the root commit")
	}
	for h, o := range want {
		typ, data, err := s.readCommit(h)
		if err != nil || typ != o.typ || !bytes.Equal(data, o.data) {
			t.Fatalf("readCommit %s: %s of %d bytes, %v; git reads %s of %d bytes", h, typ, len(data), err, o.typ, len(o.data))
		}
	}
}
