package gitops

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// newSSHKey writes a new ed25519 private key (OpenSSH format) into dir and
// returns its path and signer.
func newSSHKey(t testing.TB, dir, name string) (string, ssh.Signer) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return path, signer
}

// serveSSH runs an SSH server on 127.0.0.1 that accepts clientKey and runs
// git-upload-pack and git-receive-pack for the repositories under root, as
// a Git host does. It returns host:port and the host key.
func serveSSH(t testing.TB, root string, clientKey ssh.PublicKey) (string, ssh.Signer) {
	t.Helper()
	_, hostKey := newSSHKey(t, t.TempDir(), "host_key")
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if bytes.Equal(k.Marshal(), clientKey.Marshal()) {
			return nil, nil
		}
		return nil, errors.New("unknown key")
	}}
	cfg.AddHostKey(hostKey)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveSSHConn(c, cfg, root)
		}
	}()
	return l.Addr().String(), hostKey
}

func serveSSHConn(c net.Conn, cfg *ssh.ServerConfig, root string) {
	defer c.Close()
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			defer ch.Close()
			for req := range chReqs {
				if req.Type != "exec" {
					_ = req.Reply(false, nil)
					continue
				}
				var payload struct{ Command string }
				if ssh.Unmarshal(req.Payload, &payload) != nil {
					_ = req.Reply(false, nil)
					return
				}
				// "git-upload-pack '/remote.git'"
				prog, arg, _ := strings.Cut(payload.Command, " ")
				if prog != "git-upload-pack" && prog != "git-receive-pack" {
					_ = req.Reply(false, nil)
					return
				}
				_ = req.Reply(true, nil)
				cmd := exec.Command("git", strings.TrimPrefix(prog, "git-"), filepath.Join(root, strings.Trim(arg, "'")))
				cmd.Env = gitEnv
				cmd.Stdin, cmd.Stdout, cmd.Stderr = ch, ch, ch.Stderr()
				status := uint32(0)
				if err := cmd.Run(); err != nil {
					status = 1
				}
				_ = ch.CloseWrite()
				_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
				return
			}
		}()
	}
}

// knownHosts writes a known_hosts file naming key for addr.
func knownHosts(t testing.TB, addr string, key ssh.PublicKey) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	path := filepath.Join(t.TempDir(), "known_hosts")
	line := "[" + host + "]:" + port + " " + string(ssh.MarshalAuthorizedKey(key))
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSSHFetchPushWithKnownHosts(t *testing.T) {
	t.Parallel()
	remote := newRemote(t, map[string]string{"a.yaml": "a: 1\n"})
	keyFile, client := newSSHKey(t, t.TempDir(), "id_ed25519")
	addr, hostKey := serveSSH(t, filepath.Dir(remote), client.PublicKey())
	url := "ssh://git@" + addr + "/" + filepath.Base(remote)
	ctx := testContext(t)

	// A host key that is not the one in known_hosts, or a host that is not
	// there, is refused, saying what to do.
	_, stranger := newSSHKey(t, t.TempDir(), "other")
	for _, tt := range []struct{ name, knownHosts, want string }{
		{"another key", knownHosts(t, addr, stranger.PublicKey()), "key mismatch (the server's host key differs from the one in "},
		{"unknown host", knownHosts(t, "192.0.2.1:22", hostKey.PublicKey()), "key is unknown (the server's host key is not in "},
	} {
		_, err := OpenRepo(ctx, RepoOptions{URL: url, Branch: "main", Workdir: filepath.Join(t.TempDir(), "wd"),
			Auth: AuthOptions{SSHKeyFile: keyFile, KnownHostsFile: tt.knownHosts}})
		if err == nil || !strings.Contains(err.Error(), tt.want+tt.knownHosts) {
			t.Fatalf("%s: OpenRepo = %v, want %q", tt.name, err, tt.want)
		}
	}

	r, err := OpenRepo(ctx, RepoOptions{URL: url, Branch: "main", Workdir: filepath.Join(t.TempDir(), "wd"),
		Auth: AuthOptions{SSHKeyFile: keyFile, KnownHostsFile: knownHosts(t, addr, hostKey.PublicKey())}})
	if err != nil {
		t.Fatalf("OpenRepo over ssh: %v", err)
	}
	defer r.Close()
	if want := run(t, remote, "rev-parse", "main"); r.Head().String() != want {
		t.Fatalf("Head = %s, want %s", r.Head(), want)
	}
	tip, err := r.Commit(r.Head(), map[string][]byte{"a.yaml": []byte("a: 2\n")}, "Advance\n", testAuthor, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Push(ctx, tip); err != nil {
		t.Fatalf("Push over ssh: %v", err)
	}
	if got := run(t, remote, "show", "main:a.yaml"); got != "a: 2" {
		t.Fatalf("pushed a.yaml = %q", got)
	}
}
