package reconciler

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-logr/logr"
)

func TestGenericPushHook(t *testing.T) {
	kicks := 0
	h := &pushHooks{branch: "main", secret: []byte("s3cret"), kick: func() { kicks++ }, log: logr.Discard()}
	mux := http.NewServeMux()
	h.register(mux)
	for _, tc := range []struct {
		name, header, value, body string
		code, kicks               int
	}{
		{"GitLab token, watched branch", "X-Gitlab-Token", "s3cret", `{"ref":"refs/heads/main"}`, 202, 1},
		{"bearer token, watched branch", "Authorization", "Bearer s3cret", `{"ref":"refs/heads/main"}`, 202, 1},
		{"bearer token, no body", "Authorization", "Bearer s3cret", ``, 202, 1},
		{"another branch", "X-Gitlab-Token", "s3cret", `{"ref":"refs/heads/feature"}`, 200, 0},
		{"wrong token", "X-Gitlab-Token", "guess", `{"ref":"refs/heads/main"}`, 401, 0},
		{"no token", "", "", `{"ref":"refs/heads/main"}`, 401, 0},
		{"not JSON", "Authorization", "Bearer s3cret", `ref=main`, 400, 0},
	} {
		kicks = 0
		req := httptest.NewRequest("POST", "/hooks/git", strings.NewReader(tc.body))
		if tc.header != "" {
			req.Header.Set(tc.header, tc.value)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != tc.code || kicks != tc.kicks {
			t.Errorf("%s: HTTP %d with %d passes asked, want %d and %d (%s)", tc.name, rec.Code, kicks, tc.code, tc.kicks, rec.Body)
		}
	}
	// A GET is not a webhook.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/hooks/github", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET /hooks/github: %d", rec.Code)
	}
}
