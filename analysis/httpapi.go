package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// maxAnswer bounds how much of a provider's answer is read.
const maxAnswer = 8 << 20

// maxErrorBody bounds how much of an error answer goes into an error.
const maxErrorBody = 300

// StatusError is a provider's answer with an unexpected HTTP status.
type StatusError struct {
	Code int
	// Body is the start of the answer, on one line.
	Body string
	// raw is the whole answer, for providers that decode their errors.
	raw string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("error response: HTTP %d", e.Code)
	}
	return fmt.Sprintf("error response: HTTP %d: %s", e.Code, e.Body)
}

// send runs the request with the provider's client and returns the body
// of a 2xx answer (or of one of the accepted status codes); any other
// status is a *StatusError. Network errors never repeat the URL's
// credentials.
func send(c *http.Client, req *http.Request, accept ...int) ([]byte, int, error) {
	resp, err := c.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, 0, fmt.Errorf("request failed: %w", context.DeadlineExceeded)
		}
		return nil, 0, fmt.Errorf("request failed: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("reading answer: %w", err)
	}
	if len(body) > maxAnswer {
		return nil, resp.StatusCode, fmt.Errorf("answer larger than %d bytes", maxAnswer)
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	for _, code := range accept {
		ok = ok || resp.StatusCode == code
	}
	if !ok {
		return body, resp.StatusCode, &StatusError{Code: resp.StatusCode, Body: clip(string(body)), raw: string(body)}
	}
	return body, resp.StatusCode, nil
}

// sendJSON sends the request and decodes a 2xx JSON answer into v.
func sendJSON(c *http.Client, req *http.Request, v any) error {
	body, _, err := send(c, req)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("error unmarshaling answer: %w: %s", err, clip(string(body)))
	}
	return nil
}

// clip shortens an answer for an error message.
func clip(s string) string {
	s = oneLine(s)
	if len(s) > maxErrorBody {
		return s[:maxErrorBody] + "…"
	}
	return s
}

// redactURLError hides the password of a URL in a *url.Error.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			ue.URL = u.Redacted()
		} else {
			ue.URL = "(invalid URL)"
		}
	}
	return err
}
