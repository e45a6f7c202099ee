package api

import "testing"

// A file name holding a newline is quoted where errors name it: it cannot
// forge a line of validate's output (a CI workflow command such as
// "::error::") or of a commit message.
func TestSourceQuotesUnprintableNames(t *testing.T) {
	for _, tc := range []struct {
		src  Source
		want string
	}{
		{Source{Path: "apps/podinfo/canary.yaml", Index: 0}, "apps/podinfo/canary.yaml: document 1"},
		{Source{Path: "apps/x\n::error::forged\ny.yaml", Index: 1}, `"apps/x\n::error::forged\ny.yaml": document 2`},
		{Source{Path: "apps/\x1b[2Jclear.yaml", Index: wholeFile}, `"apps/\x1b[2Jclear.yaml"`},
		{Source{Path: "apps/café/canary.yaml", Index: wholeFile}, "apps/café/canary.yaml"},
	} {
		if got := tc.src.String(); got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.src.Path, got, tc.want)
		}
	}
}
