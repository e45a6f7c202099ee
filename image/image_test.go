package main

import (
	"archive/tar"
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestImage builds the image's binary with `make image-bin`, assembles the
// image, writes it as a `docker load` tarball and reads it back: it runs as
// the non-root user, holds no shell (exactly the expected files), its
// binary is static and runs, and the Dockerfile's final stage has the same
// user, entrypoint and port.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gitcanary (about a minute): run without -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gitcanary")
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Fatalf("make is needed to build the image's binary: %v", err)
	}
	build := exec.Command(makeBin, "-s", "-C", "..", "image-bin", "IMAGE_BIN="+bin)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make image-bin: %v\n%s", err, out)
	}
	certs := filepath.Join(dir, "ca-certificates.crt")
	if err := os.WriteFile(certs, []byte("-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := sources{Binary: bin, RootFS: "rootfs", CACerts: certs, Version: "v0.0.0-test"}
	tarPath := filepath.Join(dir, "image.tar")
	var report strings.Builder
	if err := write(&report, src, "ghcr.io/gitcanary/gitcanary:test", tarPath); err != nil {
		t.Fatalf("write: %v", err)
	}
	t.Logf("%s", report.String())
	if !strings.Contains(report.String(), "2 layers") || !strings.Contains(report.String(), "MiB compressed") {
		t.Errorf("the report does not state the layers and size:\n%s", report.String())
	}

	img, err := tarball.ImageFromPath(tarPath, nil)
	if err != nil {
		t.Fatalf("reading back %s: %v", tarPath, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg := cf.Config
	if cfg.User != "65532:65532" {
		t.Errorf("User = %q, want the non-root 65532:65532", cfg.User)
	}
	if want := []string{"/usr/local/bin/gitcanary"}; !slices.Equal(cfg.Entrypoint, want) {
		t.Errorf("Entrypoint = %q, want %q", cfg.Entrypoint, want)
	}
	if len(cfg.Cmd) != 0 || len(cfg.Shell) != 0 {
		t.Errorf("Cmd = %q, Shell = %q: want none", cfg.Cmd, cfg.Shell)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
	}
	if cfg.Labels["org.opencontainers.image.version"] != "v0.0.0-test" {
		t.Errorf("labels %v: want the version", cfg.Labels)
	}

	files := extract(t, img)
	var names []string
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{
		"etc", "etc/group", "etc/passwd", "etc/ssl", "etc/ssl/certs", "etc/ssl/certs/ca-certificates.crt",
		"tmp", "usr", "usr/local", "usr/local/bin", "usr/local/bin/gitcanary",
	}
	if !slices.Equal(names, want) {
		t.Errorf("the image holds\n%q\nwant exactly\n%q", names, want)
	}
	for _, n := range names {
		if b := filepath.Base(n); b == "sh" || b == "bash" || b == "busybox" {
			t.Errorf("the image has a shell: %s", n)
		}
	}
	if h := files["tmp"].hdr; h == nil || h.Typeflag != tar.TypeDir || h.Mode&0o1777 != 0o1777 {
		t.Errorf("/tmp is not world-writable with the sticky bit: %+v", h)
	}
	if got := string(files["etc/ssl/certs/ca-certificates.crt"].data); !strings.Contains(got, "test") {
		t.Errorf("the CA certificates are not the bundle given: %q", got)
	}
	if passwd := string(files["etc/passwd"].data); !strings.Contains(passwd, "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd has no nonroot user 65532:\n%s", passwd)
	}

	// The binary in the image is static and runs: its version, and a clear
	// answer for the demo it leaves out.
	inImage := filepath.Join(dir, "from-image")
	if err := os.WriteFile(inImage, files["usr/local/bin/gitcanary"].data, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := staticArch(inImage); err != nil {
		t.Errorf("the image's binary: %v", err)
	}
	out, err := exec.Command(inImage, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "gitcanary ") {
		t.Errorf("gitcanary version: %v\n%s", err, out)
	}
	out, err = exec.Command(inImage, "demo").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "built without the demo") {
		t.Errorf("gitcanary demo in the image: err %v, output\n%s", err, out)
	}

	// The Dockerfile builds the same thing.
	df := finalStage(t, filepath.Join("..", "Dockerfile"))
	if df["FROM"] != "scratch" {
		t.Errorf("the Dockerfile's final stage is FROM %q, want scratch", df["FROM"])
	}
	if df["USER"] != cfg.User {
		t.Errorf("the Dockerfile's USER %q, the image's %q", df["USER"], cfg.User)
	}
	var entrypoint []string
	if err := json.Unmarshal([]byte(df["ENTRYPOINT"]), &entrypoint); err != nil || !slices.Equal(entrypoint, cfg.Entrypoint) {
		t.Errorf("the Dockerfile's ENTRYPOINT %s (exec form expected: %v), the image's %q", df["ENTRYPOINT"], err, cfg.Entrypoint)
	}
	if _, ok := cfg.ExposedPorts[df["EXPOSE"]+"/tcp"]; !ok {
		t.Errorf("the Dockerfile exposes %q, the image %v", df["EXPOSE"], cfg.ExposedPorts)
	}
	if !strings.Contains(df["COPY"], "/usr/local/bin/gitcanary") {
		t.Errorf("the Dockerfile does not copy the binary to /usr/local/bin/gitcanary: %q", df["COPY"])
	}
	if _, ok := df["CMD"]; ok {
		t.Errorf("the Dockerfile has a CMD: %q", df["CMD"])
	}

	// The same inputs give the same image.
	again, err := assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two assemblies of the same files differ: %s, %s", d1, d2)
	}
}

// TestImageRefusesDynamicBinary: a binary that needs a loader would not
// start on scratch.
func TestImageRefusesDynamicBinary(t *testing.T) {
	dynamic, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("git is needed: %v", err)
	}
	if _, err := staticArch(dynamic); !errors.Is(err, ErrNotStatic) {
		t.Fatalf("staticArch(%s) = %v, want ErrNotStatic", dynamic, err)
	}
	_, err = assemble(sources{Binary: dynamic, RootFS: "rootfs", CACerts: "/dev/null"})
	if err == nil || !strings.Contains(err.Error(), dynamic) || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Fatalf("assemble with %s: %v, want an error naming it and how to build a static one", dynamic, err)
	}
}

// file is one entry of the image's filesystem.
type file struct {
	hdr  *tar.Header
	data []byte
}

// extract reads the image's flattened filesystem.
func extract(t *testing.T, img v1.Image) map[string]file {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]file{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("extracting the image: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = file{hdr: h, data: data}
	}
}

// finalStage returns the instructions of a Dockerfile's last stage, by
// keyword; COPY's are joined by newlines.
func finalStage(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stage map[string]string
	var line string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "#") {
			continue
		}
		// An instruction continues on the next line after a backslash.
		if cont, ok := strings.CutSuffix(text, "\\"); ok {
			line += cont + " "
			continue
		}
		line, text = "", line+text
		if text == "" {
			continue
		}
		kw, rest, _ := strings.Cut(text, " ")
		switch kw = strings.ToUpper(kw); {
		case kw == "FROM":
			stage = map[string]string{"FROM": strings.Fields(rest)[0]}
		case stage == nil:
			t.Fatalf("%s: %s before FROM", path, kw)
		case kw == "COPY":
			stage[kw] += rest + "\n"
		default:
			stage[kw] = strings.TrimSpace(rest)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if stage == nil {
		t.Fatalf("%s has no FROM", path)
	}
	return stage
}
