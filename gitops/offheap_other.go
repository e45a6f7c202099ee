//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package gitops

// entryArray returns room for n entries of a pack being indexed, in the
// Go heap on this platform.
func entryArray(n int) ([]indexedEntry, func()) {
	return make([]indexedEntry, 0, n), func() {}
}
