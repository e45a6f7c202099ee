//go:build linux || darwin || freebsd || netbsd || openbsd

package gitops

import (
	"syscall"
	"unsafe"
)

// entryArray returns room for n entries of a pack being indexed, and what
// releases it. Over a long history the entries are tens of megabytes (1.2
// million objects for 200,000 commits), held while every delta is rebuilt:
// in the Go heap they set its collection goal, twice their size, so a
// clone's peak memory was three times theirs. In pages of their own, off
// the heap (they hold no pointers), they cost their size, and are given
// back to the system the moment the index is written. Fewer than 64 KiB
// of them stay in the heap: a mapping costs system calls and whole pages.
func entryArray(n int) ([]indexedEntry, func()) {
	size := n * int(unsafe.Sizeof(indexedEntry{}))
	if size < 64<<10 {
		return make([]indexedEntry, 0, n), func() {}
	}
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]indexedEntry, 0, n), func() {}
	}
	entries := unsafe.Slice((*indexedEntry)(unsafe.Pointer(unsafe.SliceData(b))), n)
	return entries[:0], func() { _ = syscall.Munmap(b) }
}
