// Command image assembles gitcanary's container image without a container
// daemon, as the Dockerfile's final stage lays it out: FROM scratch, the
// users of rootfs/etc, the CA certificates, a writable /tmp and the static
// binary, run as a non-root user with no shell. It writes a tarball that
// `docker load` and `podman load` read (make image-tar).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	var src sources
	var tag, out string
	flag.StringVar(&src.Binary, "binary", "bin/image/gitcanary", "the static gitcanary binary (make image-bin)")
	flag.StringVar(&src.RootFS, "rootfs", "image/rootfs", "files copied as they are into the image's root")
	flag.StringVar(&src.CACerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "the CA certificates bundle")
	flag.StringVar(&src.Version, "version", "dev", "the image's org.opencontainers.image.version label")
	flag.StringVar(&tag, "tag", "ghcr.io/gitcanary/gitcanary:dev", "the image's name in the tarball")
	flag.StringVar(&out, "o", "bin/gitcanary-image.tar", "the tarball to write")
	flag.Parse()
	if err := write(os.Stdout, src, tag, out); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

// write assembles the image, writes it to out as tag and reports its size.
func write(w io.Writer, src sources, tag, out string) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("-tag: %w", err)
	}
	img, err := assemble(src)
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(out, ref, img); err != nil {
		return err
	}
	return report(w, img, ref.String(), out)
}

// report prints the image's digest and sizes: compressed is what a registry
// stores and a node pulls.
func report(w io.Writer, img v1.Image, ref, out string) error {
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	var compressed, uncompressed int64
	for _, l := range layers {
		c, err := l.Size()
		if err != nil {
			return err
		}
		u, err := uncompressedSize(l)
		if err != nil {
			return err
		}
		compressed, uncompressed = compressed+c, uncompressed+u
	}
	_, err = fmt.Fprintf(w, "%s %s\n%s: %d layers, %.1f MiB compressed, %.1f MiB uncompressed\n",
		ref, digest, out, len(layers), mib(compressed), mib(uncompressed))
	return err
}

// uncompressedSize is the size of the layer's tar.
func uncompressedSize(l v1.Layer) (int64, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
