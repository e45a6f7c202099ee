package secrets_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/analysis/secrets"
)

func TestDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("istio-system/datadog/datadog_api_key", "s3cr3t-api\n")
	write("istio-system/datadog/empty", " \n")
	d := secrets.Dir(dir)
	if v, err := d.Read("istio-system", "datadog", "datadog_api_key"); err != nil || v != "s3cr3t-api" {
		t.Fatalf("Read = %q, %v", v, err)
	}
	_, err := d.Read("istio-system", "datadog", "datadog_application_key")
	if !errors.Is(err, secrets.ErrNoKey) || !strings.Contains(err.Error(), `secret istio-system/datadog has no key "datadog_application_key"`) {
		t.Errorf("missing key: %v", err)
	}
	for _, bad := range [][3]string{{"..", "datadog", "k"}, {"istio-system", "../..", "k"}, {"istio-system", "datadog", "../../etc/passwd"}, {"a/b", "c", "k"}} {
		if _, err := d.Read(bad[0], bad[1], bad[2]); err == nil || !strings.Contains(err.Error(), "invalid name") {
			t.Errorf("Read(%q) = %v, want invalid name", bad, err)
		}
	}
	if _, err := d.Read("istio-system", "datadog", "empty"); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty key: %v", err)
	}
	if _, err := secrets.Dir("").Read("ns", "n", "k"); err == nil || !strings.Contains(err.Error(), "no secrets directory configured") {
		t.Errorf("no dir: %v", err)
	}
	for _, err := range []error{err} {
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error leaks a value: %v", err)
		}
	}
}
