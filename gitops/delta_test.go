package gitops

import (
	"bytes"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// trimDelta's deltas patch back to the new version with go-git's (git's)
// delta decoder, copies longer than 64 KiB and 16 MiB included, and are
// refused when they would save little.
func TestTrimDeltaPatches(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<20+3) // 16 MiB and 48 bytes
	for _, tc := range []struct {
		name     string
		src, dst []byte
		refused  bool
	}{
		{"one entry changed", []byte(strings.Repeat("a", 1000) + "X" + strings.Repeat("b", 1000)), []byte(strings.Repeat("a", 1000) + "Y" + strings.Repeat("b", 1000)), false},
		{"entry added at the end", []byte(strings.Repeat("a", 5000)), []byte(strings.Repeat("a", 5000) + "new"), false},
		{"entry removed at the start", []byte("old" + strings.Repeat("a", 5000)), []byte(strings.Repeat("a", 5000)), false},
		{"copy of exactly 64 KiB", bytes.Repeat([]byte("x"), 0x10000), append(bytes.Repeat([]byte("x"), 0x10000), 'y'), false},
		{"copies over 16 MiB", big, append(append(bytes.Clone(big[:len(big)/2]), "middle"...), big[len(big)/2:]...), false},
		{"all different", []byte(strings.Repeat("a", 100)), []byte(strings.Repeat("b", 100)), true},
		{"empty to something", nil, []byte("abc"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := trimDelta(tc.src, tc.dst)
			if tc.refused {
				if d != nil {
					t.Fatalf("a delta of %d bytes for %d bytes", len(d), len(tc.dst))
				}
				return
			}
			if d == nil || 2*len(d) > len(tc.dst) {
				t.Fatalf("delta of %d bytes for %d", len(d), len(tc.dst))
			}
			got, err := packfile.PatchDelta(tc.src, d)
			if err != nil || !bytes.Equal(got, tc.dst) {
				t.Fatalf("patched: %d bytes, %v; want %d bytes", len(got), err, len(tc.dst))
			}
		})
	}
}
