package ui

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// credentials are what a request must present; none configured: no check.
type credentials struct {
	username, password string
	token              string
}

func (c credentials) none() bool { return c.username == "" && c.token == "" }

// allows reports whether r presents the basic-auth credentials or the
// bearer token. Comparisons take the same time whatever matches.
func (c credentials) allows(r *http.Request) bool {
	if c.token != "" {
		if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && equal(t, c.token) {
			return true
		}
	}
	if c.username != "" {
		if u, p, ok := r.BasicAuth(); ok && equal(u, c.username) && equal(p, c.password) {
			return true
		}
	}
	return false
}

// equal compares secrets in constant time (hashed first, so their lengths
// do not show either).
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// guard requires the credentials before next.
func (c credentials) guard(next http.Handler) http.Handler {
	if c.none() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.allows(r) {
			if c.username != "" {
				w.Header().Set("WWW-Authenticate", `Basic realm="gitcanary", charset="UTF-8"`)
			} else {
				w.Header().Set("WWW-Authenticate", `Bearer realm="gitcanary"`)
			}
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
