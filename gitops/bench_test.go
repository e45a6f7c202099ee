package gitops

import (
	"fmt"
	"testing"
)

// benchRemote makes a repository with 20 apps of 5 files each.
func benchRemote(b *testing.B) string {
	files := map[string]string{}
	for i := range 20 {
		for j := range 5 {
			files[fmt.Sprintf("apps/app%02d/file%d.yaml", i, j)] = fmt.Sprintf("kind: ConfigMap\nmetadata:\n  name: app%02d-%d\n", i, j)
		}
	}
	return newRemote(b, files)
}

// BenchmarkSnapshotRead measures opening a snapshot and reading one file.
func BenchmarkSnapshotRead(b *testing.B) {
	r := openTest(b, benchRemote(b))
	head := r.Head()
	b.ResetTimer()
	for b.Loop() {
		s, err := r.Snapshot(head)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.ReadFile("apps/app07/file3.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFetchIdle measures a fetch with nothing new over the local
// transport (which runs git-upload-pack).
func BenchmarkFetchIdle(b *testing.B) {
	r := openTest(b, benchRemote(b))
	ctx := testContext(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Fetch(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
