package gitops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func TestSignedCommitVerifies(t *testing.T) {
	t.Parallel()
	e, err := openpgp.NewEntity("gitcanary", "", "bot@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	var priv, pub strings.Builder
	w, _ := armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	if err := e.SerializePrivate(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	w, _ = armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	keyFile := filepath.Join(t.TempDir(), "key.asc")
	if err := os.WriteFile(keyFile, []byte(priv.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	remote := newRemote(t, map[string]string{"a": "a\n"})
	r, err := OpenRepo(testContext(t), RepoOptions{URL: remote, Branch: "main", Workdir: filepath.Join(t.TempDir(), "wd"),
		Signing: SigningOptions{KeyFile: keyFile}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h, err := r.Commit(r.Head(), map[string][]byte{"a": []byte("b\n")}, "Signed\n", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Push(testContext(t), h); err != nil {
		t.Fatal(err)
	}
	if raw := run(t, remote, "cat-file", "commit", "main"); !strings.Contains(raw, "gpgsig -----BEGIN PGP SIGNATURE-----") {
		t.Fatalf("pushed commit carries no signature:\n%s", raw)
	}
	run(t, remote, "fsck", "--strict")
	var c *object.Commit
	r.mu.Lock()
	c, err = r.repo.CommitObject(h)
	r.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Verify(pub.String()); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	other, _ := openpgp.NewEntity("other", "", "o@example.com", nil)
	var otherPub strings.Builder
	w, _ = armor.Encode(&otherPub, openpgp.PublicKeyType, nil)
	other.Serialize(w)
	w.Close()
	if _, err := c.Verify(otherPub.String()); err == nil {
		t.Fatal("signature verified with another key")
	}
}
