//go:build !unix

package gitops

import (
	"errors"
	"os"
)

// flock is not implemented on this platform.
func flock(*os.File) error {
	return errors.New("workdir locking is only supported on unix")
}

// processAlive assumes every process is alive, so nothing is swept.
func processAlive(int) bool { return true }

// funlock is not implemented on this platform.
func funlock(*os.File) error { return nil }
