package api

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkLargeMapping decodes a Canary whose labels are one mapping of
// 20,000 keys, with gitcanary's decoder and with
// yaml.v3's Node.Decode, whose duplicate-key check compares every key with
// every other one (what made a 3.6 MB Canary take 13 s).
func BenchmarkLargeMapping(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: podinfo\n  labels:\n")
	for i := 0; i < 20_000; i++ {
		fmt.Fprintf(&sb, "    k%d: v\n", i)
	}
	docs, err := SplitDocuments("canary.yaml", []byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("DecodeNode", func(b *testing.B) {
		for b.Loop() {
			if _, err := DecodeNode(docs[0].Node); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("yaml.v3", func(b *testing.B) {
		for b.Loop() {
			var v any
			if err := docs[0].Node.Decode(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
