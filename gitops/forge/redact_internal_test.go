package forge

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	const token = "ghp_0123456789secret"
	err := redact(fmt.Errorf("github: list: %w: Authorization: Bearer %s", ErrUnavailable, token), token)
	if strings.Contains(err.Error(), token) {
		t.Fatalf("token in %q", err)
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Error("redaction lost the sentinel")
	}
	if errors.Unwrap(err) != nil {
		t.Error("the raw message is reachable by unwrapping")
	}
	plain := errors.New("no secret here")
	if redact(plain, token) != plain {
		t.Error("an error without the token was wrapped")
	}
}
