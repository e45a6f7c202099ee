package gitops

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	// lockFileName is created inside the workdir and flock'ed while in use.
	lockFileName = "gitcanary.lock"
	// tempPrefix starts the name of private temporary workdirs:
	// gitcanary-<pid>-<random>.
	tempPrefix = "gitcanary-"
)

// workdir is a locked directory holding the bare clone.
type workdir struct {
	dir  string
	lock *os.File
	temp bool // removed on release
}

// acquireWorkdir creates (if needed) and locks dir. With dir empty it sweeps
// stale temporary workdirs and makes a private one under os.TempDir().
func acquireWorkdir(dir string) (*workdir, error) {
	temp := dir == ""
	if temp {
		sweepStaleTemp(os.TempDir())
		d, err := os.MkdirTemp(os.TempDir(), fmt.Sprintf("%s%d-*", tempPrefix, os.Getpid()))
		if err != nil {
			return nil, fmt.Errorf("create temporary workdir: %w", err)
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create workdir: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		if temp {
			_ = os.RemoveAll(dir)
		}
		return nil, err
	}
	return &workdir{dir: dir, lock: lock, temp: temp}, nil
}

// release unlocks the workdir and removes it if it is temporary.
func (w *workdir) release() error {
	var errs []error
	if w.temp {
		errs = append(errs, os.RemoveAll(w.dir))
	}
	errs = append(errs, funlock(w.lock), w.lock.Close())
	return errors.Join(errs...)
}

// lockDir takes an exclusive, non-blocking lock on dir/gitcanary.lock and
// writes our pid into it for the error message of the next contender.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open workdir lock: %w", err)
	}
	if err := flock(f); err != nil {
		owner, _ := os.ReadFile(path)
		_ = f.Close()
		if errors.Is(err, ErrWorkdirLocked) {
			return nil, fmt.Errorf("workdir %s: %w (pid %s)", dir, ErrWorkdirLocked, strings.TrimSpace(string(owner)))
		}
		return nil, fmt.Errorf("lock workdir %s: %w", dir, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// sweepStaleTemp removes temporary workdirs under root left by processes
// that are gone: the pid in the name is not alive and the lock is free.
// Errors are ignored: sweeping is best effort.
func sweepStaleTemp(root string) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		pid, ok := tempDirPID(e.Name())
		if !ok || !e.IsDir() || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		lock, err := lockDir(dir)
		if err != nil {
			continue
		}
		if os.RemoveAll(dir) == nil {
			removed = append(removed, dir)
		}
		_ = lock.Close()
	}
	return removed
}

// tempDirPID parses gitcanary-<pid>-<random>.
func tempDirPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, tempPrefix)
	if !ok {
		return 0, false
	}
	p, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(p)
	return pid, err == nil && pid > 0
}
