package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/spf13/pflag"
)

// Signer signs the encoded commit object read from message and returns an
// armored signature. It has the shape of go-git's git.Signer.
type Signer interface {
	Sign(message io.Reader) ([]byte, error)
}

// SignerFunc adapts a function to a [Signer].
type SignerFunc func(message io.Reader) ([]byte, error)

// Sign calls f.
func (f SignerFunc) Sign(message io.Reader) ([]byte, error) { return f(message) }

// SigningOptions selects the key that signs commits.
//
// TODO(ssh-signing): SSH signatures (gpg.format=ssh) need the SSHSIG format,
// which neither go-git nor x/crypto implements; only OpenPGP is supported.
type SigningOptions struct {
	// KeyFile holds an armored OpenPGP private key.
	KeyFile string
	// PassphraseFile holds the key's passphrase, if it is encrypted.
	PassphraseFile string
}

// BindFlags registers the signing flags on fs.
func (o *SigningOptions) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.KeyFile, "signing-key-file", o.KeyFile, "armored OpenPGP private key to sign commits with")
	fs.StringVar(&o.PassphraseFile, "signing-passphrase-file", o.PassphraseFile, "file holding the passphrase of the signing key")
}

// NewSigner loads the key named by the options.
func (o SigningOptions) NewSigner() (Signer, error) {
	key, err := os.ReadFile(o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	var pass []byte
	if o.PassphraseFile != "" {
		p, err := os.ReadFile(o.PassphraseFile)
		if err != nil {
			return nil, fmt.Errorf("read signing passphrase: %w", err)
		}
		pass = bytes.TrimRight(p, "\r\n")
	}
	s, err := NewOpenPGPSigner(key, pass)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", o.KeyFile, err)
	}
	return s, nil
}

// NewOpenPGPSigner returns a Signer for the first private key in an armored
// key ring, decrypting it with passphrase if needed.
func NewOpenPGPSigner(armoredKey, passphrase []byte) (Signer, error) {
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(armoredKey))
	if err != nil {
		return nil, fmt.Errorf("parse openpgp key: %w", err)
	}
	var e *openpgp.Entity
	for _, cand := range ring {
		if cand.PrivateKey != nil {
			e = cand
			break
		}
	}
	if e == nil {
		return nil, errors.New("no private key in openpgp key ring")
	}
	if e.PrivateKey.Encrypted {
		if len(passphrase) == 0 {
			return nil, errors.New("openpgp key is encrypted and no passphrase is set")
		}
		if err := e.DecryptPrivateKeys(passphrase); err != nil {
			return nil, fmt.Errorf("decrypt openpgp key: %w", err)
		}
	}
	return SignerFunc(func(message io.Reader) ([]byte, error) {
		var b strings.Builder
		if err := openpgp.ArmoredDetachSign(&b, e, message, nil); err != nil {
			return nil, fmt.Errorf("sign commit: %w", err)
		}
		return []byte(b.String()), nil
	}), nil
}
