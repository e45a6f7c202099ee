package webhooks

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gitcanary/gitcanary/gitops"
)

// ErrTimeout is wrapped by the error of a hook that did not answer within
// its timeout.
var ErrTimeout = errors.New("timeout")

// ErrInvalidURL is wrapped by the error of a hook whose url is not an
// absolute http or https URL.
var ErrInvalidURL = errors.New("invalid hook url")

// maxErrorText bounds the part of a response body put in an error: event
// texts become commit subjects.
const maxErrorText = 256

// StatusError is a hook's answer with an HTTP status above 202. Its text is
// the response body, as Flagger reports it, on one line.
type StatusError struct {
	// Code is the HTTP status code.
	Code int
	// Body is the start of the response body.
	Body string
}

// Error returns the response body on one line, or the status when the body
// is empty.
func (e *StatusError) Error() string {
	if s := oneLine(e.Body, maxErrorText); s != "" {
		return s
	}
	return fmt.Sprintf("status %d", e.Code)
}

// oneLine collapses whitespace runs, newlines included, to one space and
// cuts s to at most max bytes (on a rune boundary).
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// parseURL accepts absolute http and https URLs. Its errors show the URL
// without user info: a password or token in it stays out of logs, commits
// and validate's output.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w %q: %v", ErrInvalidURL, gitops.SanitizeURL(raw), err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w %q: want an absolute http or https URL", ErrInvalidURL, gitops.SanitizeURL(raw))
	}
	return u, nil
}
