package reconciler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sopsSecret = `apiVersion: v1
kind: Secret
metadata:
  name: podinfo-token
  namespace: test
type: Opaque
data:
  TOKEN: ENC[AES256_GCM,data:Tr7o1A==,iv:1/TwUt3LwQ=,tag:Hlsz3Q==,type:str]
sops:
  age:
    - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOQ==
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2026-11-20T10:00:00Z"
  mac: ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]
  version: 3.9.0
`

// A SOPS-encrypted Secret the target uses (Flux decrypts it when it
// applies it) is never copied nor decrypted: the primary uses the original,
// and validate says that changes to it are not canaried.
func TestSOPSSecretIsNeverCopied(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, app, "secret.yaml"), []byte(sopsSecret), 0o644); err != nil {
		t.Fatal(err)
	}
	replaceIn(t, dir, app+"kustomization.yaml", "  - configmap.yaml", "  - configmap.yaml\n  - secret.yaml")
	replaceIn(t, dir, app+"deployment.yaml", "            - configMapRef:\n                name: podinfo-config",
		"            - configMapRef:\n                name: podinfo-config\n            - secretRef:\n                name: podinfo-token")
	var warnings []string
	errs, n, err := Validate(dir, "istio", WithWarnings(func(w error) { warnings = append(warnings, w.Error()) }))
	if err != nil || len(errs) != 0 || n != 1 {
		t.Fatalf("validate: %d canaries, %v, %v", n, errs, err)
	}
	want := "apps/podinfo/canary.yaml: document 1 (Canary test/podinfo): spec.targetRef: Secret podinfo-token is SOPS-encrypted: the primary uses it as it is (never copied nor decrypted), and changes to it are not canaried"
	if len(warnings) != 1 || warnings[0] != want {
		t.Errorf("warnings %q\nwant %q", warnings, want)
	}

	w := newWorld(t, dir)
	w.pass(0)
	p := w.show("main", gen+"primary.yaml")
	if !strings.Contains(p, "name: podinfo-token\n") || strings.Contains(p, "podinfo-token-primary") || strings.Contains(p, "ENC[") {
		t.Errorf("primary.yaml copies the encrypted Secret or does not use the original:\n%s", p)
	}
	if st := w.show("main", gen+"status.yaml"); strings.Contains(st, "podinfo-token") {
		t.Errorf("the encrypted Secret is tracked:\n%s", st)
	}
}
