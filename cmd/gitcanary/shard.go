package main

import (
	"fmt"
	"regexp"
	"strings"
)

// podOrdinal is the ordinal at the end of a StatefulSet pod's name.
var podOrdinal = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?-(\d+)$`)

// resolveShard turns --shard=POD/N, as a StatefulSet's pods get it from
// $(POD_NAME) (gitcanary-2/3), into ORDINAL/N (2/3); a numeric i/n or ""
// is returned as it is, for run's own checks.
func resolveShard(s string) (string, error) {
	i, n, ok := strings.Cut(s, "/")
	if !ok || i == "" || strings.Trim(i, "0123456789") == "" {
		return s, nil
	}
	m := podOrdinal.FindStringSubmatch(i)
	if m == nil {
		return "", fmt.Errorf("--shard %q: %q is neither a shard number nor a StatefulSet pod name ending in -<ordinal>", s, i)
	}
	return m[2] + "/" + n, nil
}
