package webhooks_test

import (
	"testing"
	"unicode/utf8"

	"github.com/gitcanary/gitcanary/analysis/webhooks"
)

// FuzzPayloadRoundTrip checks that what gitcanary encodes a receiver decodes
// to the same payload.
func FuzzPayloadRoundTrip(f *testing.F) {
	f.Add("podinfo", "test", "Progressing", "5f1c2e9a", "cmd", "hey -z 1m http://podinfo-canary.test:9898/", "", "")
	f.Add("", "", "", "", "eventMessage", "Halt podinfo.test advancement \"quoted\" <html>", "timestamp", "1700000000000")
	f.Add("a\u2028b", "\x00", "é", "\\", "k", "\n\t", "k2", "}")
	f.Fuzz(func(t *testing.T, name, ns, phase, sum, k1, v1, k2, v2 string) {
		for _, s := range []string{name, ns, phase, sum, k1, v1, k2, v2} {
			if !utf8.ValidString(s) {
				t.Skip("JSON carries valid UTF-8 only")
			}
		}
		p := webhooks.Payload{Name: name, Namespace: ns, Phase: phase, Checksum: sum}
		if k1 != "" || k2 != "" {
			p.Metadata = map[string]string{k1: v1, k2: v2}
		}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := webhooks.ParsePayload(b)
		if err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		if !equalPayload(got, p) {
			t.Fatalf("round trip of %s:\n got %+v\nwant %+v", b, got, p)
		}
	})
}

// FuzzParsePayload checks that decoding arbitrary bytes never panics and
// that a decoded payload survives encoding and decoding again.
func FuzzParsePayload(f *testing.F) {
	f.Add([]byte(`{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"x","metadata":{"cmd":"ls"}}`))
	f.Add([]byte(`{"name":"\ud800","metadata":null}`))
	f.Add([]byte(`null`))
	f.Add([]byte("{\"name\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := webhooks.ParsePayload(data)
		if err != nil {
			return
		}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := webhooks.ParsePayload(b)
		if err != nil {
			t.Fatalf("re-decode %s: %v", b, err)
		}
		if !equalPayload(again, p) {
			t.Fatalf("unstable: %+v then %+v", p, again)
		}
	})
}
