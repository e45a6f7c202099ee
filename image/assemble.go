package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The image's layout, the same as the Dockerfile's final stage.
const (
	binaryPath = "usr/local/bin/gitcanary"
	caCertPath = "etc/ssl/certs/ca-certificates.crt"
	// nonRootUser is the "nonroot" user and group of rootfs/etc/passwd,
	// distroless's numbers: Kubernetes' runAsNonRoot needs them numeric.
	nonRootUser = "65532:65532"
	httpPort    = "8080/tcp"
)

// ErrNotStatic is returned for a binary that needs a dynamic loader or
// shared libraries: the image has none.
var ErrNotStatic = errors.New("not a static binary (build it with CGO_ENABLED=0)")

// sources are the files the image is made of.
type sources struct {
	// Binary is gitcanary, static (make image-bin).
	Binary string
	// RootFS holds the files copied as they are (etc/passwd, etc/group).
	RootFS string
	// CACerts is the bundle of CA certificates for HTTPS remotes and
	// providers.
	CACerts string
	// Version labels the image (org.opencontainers.image.version).
	Version string
}

// epoch is every file's and the image's time: the same inputs give the same
// digest.
var epoch = time.Unix(0, 0).UTC()

// assemble builds the image: a layer with the users, the CA certificates and
// a writable /tmp, a layer with the binary, run as the non-root user.
func assemble(src sources) (v1.Image, error) {
	arch, err := staticArch(src.Binary)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.Binary, err)
	}
	base, err := baseLayer(src.RootFS, src.CACerts)
	if err != nil {
		return nil, err
	}
	bin, err := binaryLayer(src.Binary)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, base, bin)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Created = v1.Time{Time: epoch}
	cf.Config = v1.Config{
		User:         nonRootUser,
		Entrypoint:   []string{"/" + binaryPath},
		WorkingDir:   "/",
		ExposedPorts: map[string]struct{}{httpPort: {}},
		Labels: map[string]string{
			"org.opencontainers.image.source":  "https://github.com/gitcanary/gitcanary",
			"org.opencontainers.image.version": src.Version,
		},
	}
	return mutate.ConfigFile(img, cf)
}

// staticArch returns the GOARCH of an ELF binary that needs no loader and
// no shared library.
func staticArch(file string) (string, error) {
	f, err := elf.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", ErrNotStatic
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		return "", fmt.Errorf("%w: it needs %v", ErrNotStatic, libs)
	}
	switch f.Machine {
	case elf.EM_X86_64:
		return "amd64", nil
	case elf.EM_AARCH64:
		return "arm64", nil
	}
	return "", fmt.Errorf("unsupported machine %s", f.Machine)
}

// entry is one file or directory of a layer.
type entry struct {
	name string
	mode int64
	dir  bool
	data []byte
}

// baseLayer holds rootfs's files, the CA certificates and /tmp.
func baseLayer(rootfs, caCerts string) (v1.Layer, error) {
	var entries []entry
	err := filepath.WalkDir(rootfs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == rootfs {
			return err
		}
		rel, err := filepath.Rel(rootfs, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			entries = append(entries, entry{name: filepath.ToSlash(rel), mode: 0o755, dir: true})
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: only files and directories may be in the image's root", p)
		}
		data, err := os.ReadFile(p)
		entries = append(entries, entry{name: filepath.ToSlash(rel), mode: 0o644, data: data})
		return err
	})
	if err != nil {
		return nil, err
	}
	certs, err := os.ReadFile(caCerts)
	if err != nil {
		return nil, fmt.Errorf("the CA certificates: %w (install Debian's ca-certificates or pass -ca-certs)", err)
	}
	entries = append(entries, parents(caCertPath)...)
	entries = append(entries,
		entry{name: caCertPath, mode: 0o644, data: certs},
		// Remote kustomize bases are cloned under TMPDIR.
		entry{name: "tmp", mode: 0o1777, dir: true})
	return layer(entries)
}

// binaryLayer holds gitcanary.
func binaryLayer(binary string) (v1.Layer, error) {
	data, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	return layer(append(parents(binaryPath), entry{name: binaryPath, mode: 0o555, data: data}))
}

// parents are the directories above name, outermost first.
func parents(name string) []entry {
	var dirs []entry
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		dirs = append([]entry{{name: d, mode: 0o755, dir: true}}, dirs...)
	}
	return dirs
}

// layer writes entries as a tar layer owned by root, dated epoch; a
// directory written twice is written once.
func layer(entries []entry) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.name] {
			continue
		}
		seen[e.name] = true
		h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: epoch, Format: tar.FormatPAX, Typeflag: tar.TypeReg, Size: int64(len(e.data))}
		if e.dir {
			h.Name, h.Typeflag, h.Size = e.name+"/", tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}
