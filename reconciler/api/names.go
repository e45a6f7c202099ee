package api

import (
	"fmt"
	"strings"
)

// Names end up in paths (a canary's generated folder is named after it),
// in generated objects and in commit trailers, so they are held to what the
// Kubernetes API would accept: "../../clusters/demo" or a namespace holding
// a newline is refused before anything is written.

// IsDNS1123Label reports whether s is a DNS-1123 label, as Kubernetes
// requires of namespaces and of most object names: 1 to 63 lower-case
// letters, digits or '-', starting and ending with a letter or a digit.
func IsDNS1123Label(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	return true
}

// IsDNS1123Subdomain reports whether s is a DNS-1123 subdomain, as
// Kubernetes requires of Deployment, ConfigMap and Secret names: at most
// 253 characters of DNS-1123 labels joined by dots.
func IsDNS1123Subdomain(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if !IsDNS1123Label(l) {
			return false
		}
	}
	return true
}

const (
	labelRule     = "must be a DNS-1123 label (at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit)"
	subdomainRule = "must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters)"
)

// checkLabel returns why name is not a DNS-1123 label, or "".
func checkLabel(name string) string {
	if IsDNS1123Label(name) {
		return ""
	}
	return fmt.Sprintf("%s, got %q", labelRule, name)
}

// checkSubdomain returns why name is not a DNS-1123 subdomain, or "".
func checkSubdomain(name string) string {
	if IsDNS1123Subdomain(name) {
		return ""
	}
	return fmt.Sprintf("%s, got %q", subdomainRule, name)
}

// ObjectName is "Kind namespace/name" as errors name an object; a name
// that is not a DNS-1123 subdomain is quoted, so what it holds (a newline)
// cannot rewrite the error.
func ObjectName(kind, namespace, name string) string {
	id := namespace + "/" + name
	if (namespace != "" && !IsDNS1123Label(namespace)) || (name != "" && !IsDNS1123Subdomain(name)) {
		id = fmt.Sprintf("%q", id)
	}
	return kind + " " + id
}
