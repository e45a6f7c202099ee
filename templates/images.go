package templates

import (
	"bytes"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The primary's container images are written under a placeholder name, so
// that no `images:` entry of the app's kustomization rewrites them:
// Kustomize runs the including kustomization's images transformers after
// its components, and an overlay's entry CI bumps (`kustomize edit set
// image`) would otherwise set the primary to the canary's version too.
// ImagesFile maps each placeholder back to the real name; the app's
// kustomization lists it under transformers:, which Kustomize runs after
// all of its images: entries, whatever their order (`kustomize edit set
// image` sorts them by name).
//
// A placeholder keeps the reference valid and never names a real registry:
// ghcr.io/stefanprodan/podinfo:6.0.0 becomes
// ghcr.io.gitcanary.invalid/stefanprodan/podinfo:6.0.0 (the host moved under
// the reserved .invalid top-level domain, its port kept), and a name
// without a host, podinfo:6.0.0, becomes gitcanary.invalid/podinfo:6.0.0.
// Tags and digests are kept: the placeholder's transformer sets only the
// name.

// ImagesFile is the kustomize transformer configuration that gives the
// primary's containers their real image names back. It lives in the
// component folder but is listed under the app kustomization's
// transformers:, not in the component.
const ImagesFile = "images.yaml"

// placeholderDomain is the reserved top-level domain placeholders use
// (RFC 2606): no registry can ever be there.
const placeholderDomain = "gitcanary.invalid"

// splitImage splits an image reference into its name and the rest, the
// tag and digest with their separators (":6.0.1", "@sha256:…").
func splitImage(ref string) (name, rest string) {
	slash := strings.Index(ref, "/")
	if slash < 0 {
		slash = 0
	}
	end := len(ref)
	if i := strings.IndexAny(ref[slash:], ":@"); i >= 0 {
		end = slash + i
	}
	return ref[:end], ref[end:]
}

// ImageName is ref without its tag and digest: the name an `images:` entry
// of a kustomization matches.
func ImageName(ref string) string {
	name, _ := splitImage(ref)
	return name
}

// hostOf splits a name into its registry host (with port) and path, as
// Docker does: the first component is a host when it has a dot or a colon
// or is localhost.
func hostOf(name string) (host, rest string) {
	first, after, found := strings.Cut(name, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first, after
	}
	return "", name
}

// placeholder is ref with its name turned into the placeholder name.
func placeholder(ref string) string {
	name, rest := splitImage(ref)
	if IsPlaceholder(name) {
		return ref
	}
	host, path := hostOf(name)
	if host == "" {
		return placeholderDomain + "/" + name + rest
	}
	h, port, hasPort := strings.Cut(host, ":")
	h += "." + placeholderDomain
	if hasPort {
		h += ":" + port
	}
	return h + "/" + path + rest
}

// IsPlaceholder reports whether the image name or reference is a
// placeholder a primary's containers run under in Git.
func IsPlaceholder(ref string) bool {
	host, _ := hostOf(ImageName(ref))
	h, _, _ := strings.Cut(host, ":")
	return h == placeholderDomain || strings.HasSuffix(h, "."+placeholderDomain)
}

// RealImage is the image a placeholder reference stands for, the one the
// primary runs once rendered; any other reference is returned as it is.
func RealImage(ref string) string {
	if !IsPlaceholder(ref) {
		return ref
	}
	name, rest := splitImage(ref)
	host, path := hostOf(name)
	h, port, hasPort := strings.Cut(host, ":")
	if h == placeholderDomain {
		return path + rest
	}
	h = strings.TrimSuffix(h, "."+placeholderDomain)
	if hasPort {
		h += ":" + port
	}
	return h + "/" + path + rest
}

// containerLists are the pod template's lists of containers.
var containerLists = [][]string{
	{"spec", "template", "spec", "containers"},
	{"spec", "template", "spec", "initContainers"},
}

// ContainerImages lists the images of a workload's containers and init
// containers, in order.
func ContainerImages(w *yaml.RNode) []string {
	var out []string
	visitImages(w, func(n *yaml.Node) { out = append(out, n.Value) })
	return out
}

// visitImages calls f with the image scalar of each of the workload's
// containers and init containers.
func visitImages(w *yaml.RNode, f func(*yaml.Node)) {
	for _, list := range containerLists {
		cs, err := w.Pipe(yaml.Lookup(list...))
		if err != nil || cs == nil {
			continue
		}
		for _, c := range cs.Content() {
			if img := yaml.NewRNode(c).Field("image"); img != nil && img.Value.YNode().Kind == yaml.ScalarNode {
				f(img.Value.YNode())
			}
		}
	}
}

// usePlaceholders gives the primary's containers their placeholder image
// names.
func usePlaceholders(w *yaml.RNode) {
	visitImages(w, func(n *yaml.Node) { n.Value = placeholder(n.Value) })
}

// Images renders ImagesFile for a primary.yaml: one ImageTagTransformer per
// placeholder name its objects use, mapping it back to the real name. It
// returns nil when the primary uses none (a HelmRelease primary).
func Images(in Input, primary []byte) ([]byte, error) {
	docs, err := (&kio.ByteReader{Reader: bytes.NewReader(primary), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", PrimaryFile, err)
	}
	seen := map[string]bool{}
	var out []*yaml.Node
	for _, d := range docs {
		for _, ref := range ContainerImages(d) {
			name := ImageName(ref)
			if !IsPlaceholder(name) || seen[name] {
				continue
			}
			seen[name] = true
			out = append(out, mapping(
				"apiVersion", "builtin",
				"kind", "ImageTagTransformer",
				"metadata", mapping("name", fmt.Sprintf("gitcanary-%s-image-%d", in.Canary.Metadata.Name, len(out))),
				"imageTag", mapping("name", name, "newName", RealImage(name)),
			))
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return encode(header(in.Canary), out...)
}
