package analysis

import (
	"fmt"
	"net/http"
	"os"
	"strings"
)

// Credentials authenticate requests to a metrics server: a bearer token,
// or a username and password for basic auth.
type Credentials struct {
	Token    string
	Username string
	Password string
}

// authRoundTripper adds credentials, read at each request so that rotated
// ones are picked up, and extra headers to every request. Errors name
// where the credentials come from, never their content.
type authRoundTripper struct {
	next    http.RoundTripper
	creds   func() (Credentials, error)
	headers http.Header
}

func (a *authRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, vs := range a.headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if a.creds != nil {
		c, err := a.creds()
		if err != nil {
			return nil, err
		}
		switch {
		case c.Token != "":
			req.Header.Set("Authorization", "Bearer "+c.Token)
		case c.Username != "":
			req.SetBasicAuth(c.Username, c.Password)
		}
	}
	return a.next.RoundTrip(req)
}

func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		// The *PathError names the file and the cause, not the content.
		return "", fmt.Errorf("reading credentials: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("reading credentials: %s is empty", path)
	}
	return s, nil
}
