package gitops

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/object"
)

// A CI checkout is shallow (depth 1 by default): Log shows the commits the
// clone holds and says the history is partial, instead of failing on the
// first missing parent.
func TestLogStopsAtTheShallowBoundary(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{"a.yaml": "a: 1\n"})
	for i, msg := range []string{"Second", "Third", "Fourth"} {
		otherCommit(t, remote, map[string]string{"a.yaml": strings.Repeat("a", i+2) + "\n"}, msg)
	}
	for _, tt := range []struct {
		depth string
		want  []string
	}{
		{"1", []string{"Fourth"}},
		{"3", []string{"Fourth", "Third", "Second"}},
	} {
		t.Run("depth "+tt.depth, func(t *testing.T) {
			t.Parallel()
			clone := filepath.Join(t.TempDir(), "clone")
			run(t, "", "clone", "-q", "--depth", tt.depth, "file://"+remote, clone)
			r, err := OpenLocal(clone)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			err = r.Log(testContext(t), r.Head(), func(c *object.Commit) error {
				got = append(got, strings.TrimSpace(c.Message))
				return nil
			})
			if !errors.Is(err, ErrShallow) || !strings.Contains(err.Error(), "--unshallow") {
				t.Fatalf("Log in a shallow clone = %v, want ErrShallow", err)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("Log saw %q, want %q", got, tt.want)
			}
		})
	}

	// A full clone walks to the root without complaint.
	full := filepath.Join(t.TempDir(), "full")
	run(t, "", "clone", "-q", remote, full)
	r, err := OpenLocal(full)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := r.Log(testContext(t), r.Head(), func(*object.Commit) error { n++; return nil }); err != nil || n != 4 {
		t.Fatalf("Log of a full clone = %d commits, %v; want 4, nil", n, err)
	}
}
