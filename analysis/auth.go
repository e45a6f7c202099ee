package analysis

import (
	"fmt"
	"net/http"
	"os"
	"strings"
)

// authRoundTripper adds credentials read from files to every request. The
// files are read per request so that rotated credentials are picked up;
// errors name the file, never its content.
type authRoundTripper struct {
	next      http.RoundTripper
	tokenFile string
	userFile  string
	passFile  string
}

func (a *authRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	switch {
	case a.tokenFile != "":
		token, err := readSecretFile(a.tokenFile)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
	case a.userFile != "":
		user, err := readSecretFile(a.userFile)
		if err != nil {
			return nil, err
		}
		pass, err := readSecretFile(a.passFile)
		if err != nil {
			return nil, err
		}
		req.SetBasicAuth(user, pass)
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
