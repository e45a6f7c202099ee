package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// poster sends JSON to a secret address. Its errors name the address by
// scheme and host only and never carry the address or the token.
type poster struct {
	address string
	token   string // sent as a bearer token when set
	client  *http.Client
}

// post sends payload as JSON and accepts any 2xx answer.
func (p *poster) post(ctx context.Context, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode payload: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.address, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post to %s: invalid address", redact(p.address))
	}
	req.Header.Set("Content-Type", "application/json")
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("post to %s: %w", redact(p.address), p.scrub(err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := fmt.Sprintf("status %d", resp.StatusCode)
		if s := p.scrubText(strings.Join(strings.Fields(string(b)), " ")); s != "" {
			msg += ": " + s
		}
		return fmt.Errorf("post to %s: %s", redact(p.address), msg)
	}
	return nil
}

// scrub drops the *url.Error layers (their text holds the full address) and
// keeps what went wrong, with any secret cut out.
func (p *poster) scrub(err error) error {
	for {
		var ue *url.Error
		if !errors.As(err, &ue) {
			break
		}
		err = ue.Err
	}
	if ctxErr := contextError(err); ctxErr != nil {
		return ctxErr
	}
	return errors.New(p.scrubText(err.Error()))
}

func contextError(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return context.Canceled
	}
	return nil
}

// scrubText removes the address, its path and the token from s.
func (p *poster) scrubText(s string) string {
	secrets := []string{p.address, p.token}
	if u, err := url.Parse(p.address); err == nil && len(u.Path) > 1 {
		secrets = append(secrets, u.Path, u.RawQuery)
	}
	for _, sec := range secrets {
		if len(sec) > 1 {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

// redact shows an address as scheme://host/***: webhook URLs carry their
// secret in the path.
func redact(address string) string {
	u, err := url.Parse(address)
	if err != nil || u.Host == "" {
		return "***"
	}
	return u.Scheme + "://" + u.Host + "/***"
}

// checkAddress accepts absolute http and https URLs. The error does not
// repeat the address.
func checkAddress(address string) error {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("address is not an absolute http or https URL")
	}
	return nil
}
