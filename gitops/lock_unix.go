//go:build unix

package gitops

import (
	"errors"
	"os"
	"syscall"
)

// flock takes an exclusive, non-blocking lock on f; the kernel drops it when
// the process dies, so a killed process never leaves a stuck lock.
func flock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrWorkdirLocked
	}
	return err
}

// processAlive reports whether a process with this pid exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// funlock drops the lock on f's open file description. Closing f alone is
// not enough: a child process forked (to run git) by another goroutine and
// not yet exec'd holds a copy of the descriptor, and with it the lock, until
// it execs; unlocking releases it for every copy.
func funlock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
