package reconciler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/gitops"
)

// monorepo writes n copies of the sample app, each with its canary, into a
// fixture directory.
func monorepo(b testing.TB, n int) string {
	b.Helper()
	dir := b.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		b.Fatal(err)
	}
	src := filepath.Join(dir, "apps", "podinfo")
	for i := 0; i < n; i++ {
		dst := filepath.Join(dir, "apps", fmt.Sprintf("app-%03d", i))
		if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
			b.Fatal(err)
		}
		replaceIn(b, dst, "kustomization.yaml", "namespace: test", fmt.Sprintf("namespace: ns-%03d", i))
		replaceIn(b, dst, "canary.yaml", "namespace: test", fmt.Sprintf("namespace: ns-%03d", i))
	}
	return dir
}

// BenchmarkIdlePass measures a pass with nothing to do over a repository of
// 100 initialized canaries: a fetch, a walk of the tree and the status reads.
func BenchmarkIdlePass(b *testing.B) {
	w := newWorld(b, monorepo(b, 99))
	if res := w.pass(0); res.Commits != 100 {
		b.Fatalf("init: %d commits", res.Commits)
	}
	renders := w.rec.renders
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res := w.pass(time.Minute); res.Commits != 0 {
			b.Fatal("idle pass committed")
		}
	}
	b.StopTimer()
	if w.rec.renders != renders {
		b.Fatalf("idle passes rendered %d apps", w.rec.renders-renders)
	}
}

// BenchmarkEvents reads a canary's transitions from a history of 5000
// commits, half of them the canary's: what `describe` and `history` cost on
// a long-lived repository (trailers only, no render).
func BenchmarkEvents(b *testing.B) {
	w := newWorld(b, fixture)
	repo := w.rec.repo
	tip, err := repo.Fetch(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 5000; i++ {
		msg := fmt.Sprintf("unrelated change %d", i)
		if i%2 == 0 {
			msg = fmt.Sprintf("Advance podinfo.test canary weight %d\n\nCanary: test/podinfo\nCanary-Phase: Progressing\nCanary-Weight: %d\nCanary-Revision: 5f1c2e9a\n", i%100, i%100)
		}
		tip, err = repo.Commit(tip, map[string][]byte{"notes.txt": []byte(msg)}, msg, gitops.DefaultAuthor, t0.Add(time.Duration(i)*time.Second))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		events, err := Events(context.Background(), repo, tip, "test/podinfo")
		if err != nil || len(events) != 2500 {
			b.Fatalf("%d events, %v", len(events), err)
		}
	}
}
