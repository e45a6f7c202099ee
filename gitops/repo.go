package gitops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

const remoteName = "origin"

// Repo is a bare clone of the config repository in a locked workdir. Its
// methods are safe for concurrent use: object reads and writes go through
// one mutex, which Fetch and Push hold for their network round trip.
type Repo struct {
	opts   RepoOptions
	wd     *workdir
	dir    string
	store  *filesystem.Storage
	objs   *cachedStorage // store, with a cache and the unpushed objects
	repo   *git.Repository
	creds  *credentials
	signer Signer

	mu   sync.Mutex // guards the object storage, head and damage
	head plumbing.Hash
	// damage is the first sign of a damaged clone met since the last
	// fetch, which then clones again.
	damage error
	// trees caches decoded trees by hash (see [Repo.dirTree]).
	trees       map[plumbing.Hash]*dirTree
	treeEntries int // in trees
}

// OpenRepo clones opts.URL as a bare repository into opts.Workdir, or reuses
// the clone found there, and fetches opts.Branch. The workdir stays locked
// until [Repo.Close]. A remote without the branch (or without commits) is
// not an error here: [Repo.Head] is then zero and [Repo.Fetch] returns
// [ErrBranchNotFound].
func OpenRepo(ctx context.Context, opts RepoOptions) (*Repo, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	creds, err := resolveAuth(opts.URL, opts.Auth)
	if err != nil {
		return nil, err
	}
	signer := opts.Signer
	if signer == nil && opts.Signing.KeyFile != "" {
		if signer, err = opts.Signing.NewSigner(); err != nil {
			return nil, err
		}
	}
	wd, err := acquireWorkdir(opts.Workdir)
	if err != nil {
		return nil, err
	}
	r := &Repo{opts: opts, wd: wd, dir: wd.dir, creds: creds, signer: signer}
	_, statErr := os.Stat(filepath.Join(wd.dir, "HEAD"))
	if err := r.init(); err != nil {
		_ = r.Close()
		return nil, redact(err, creds.secrets...)
	}
	if statErr == nil {
		// A clone left by an earlier run may have been damaged by a crash
		// or a full disk: the first fetch repairs it.
		r.damage = r.verifyLocked()
	}
	if _, err := r.Fetch(ctx); err != nil && !errors.Is(err, ErrBranchNotFound) {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

// init opens or initialises the bare repository in the workdir and points
// the origin remote at the configured URL.
func (r *Repo) init() error {
	dir := r.dir
	// Objects are read through r.objs (see [cachedStorage]): go-git's own
	// cache holds only what go-git reads by itself.
	r.store = filesystem.NewStorageWithOptions(osfs.New(dir), cache.NewObjectLRU(cache.MiByte),
		filesystem.Options{KeepDescriptors: true})
	_, statErr := os.Stat(filepath.Join(dir, "HEAD"))
	var err error
	switch {
	case statErr == nil:
		r.objs = newCachedStorage(r.store, dir, r.opts.Log)
		r.repo, err = git.Open(r.objs, nil)
	case errors.Is(statErr, os.ErrNotExist):
		if err := checkEmptyDir(dir); err != nil {
			return err
		}
		r.objs = newCachedStorage(r.store, dir, r.opts.Log)
		r.repo, err = git.InitWithOptions(r.objs, nil, git.InitOptions{
			DefaultBranch: plumbing.NewBranchReferenceName(r.opts.Branch),
		})
	default:
		err = statErr
	}
	if err != nil {
		return fmt.Errorf("open clone in %s: %w", dir, err)
	}
	return r.configureRemote()
}

// checkEmptyDir refuses to turn a directory with foreign content into a
// clone (a mistyped --workdir must not fill someone's home directory).
func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read workdir: %w", err)
	}
	for _, e := range entries {
		if e.Name() != lockFileName {
			return fmt.Errorf("workdir %s is not empty and holds no gitcanary clone", dir)
		}
	}
	return nil
}

func (r *Repo) configureRemote() error {
	cfg, err := r.repo.Config()
	if err != nil {
		return fmt.Errorf("read clone config: %w", err)
	}
	// Clones made before credentials were kept out of the config hold the
	// URL with them: compare the public forms, and rewrite the config.
	url := publicURL(r.opts.URL)
	if rc, ok := cfg.Remotes[remoteName]; ok && (len(rc.URLs) == 0 || publicURL(rc.URLs[0]) != url) {
		return fmt.Errorf("workdir %s holds a clone of another repository", r.dir)
	}
	cfg.Remotes[remoteName] = &config.RemoteConfig{
		Name:  remoteName,
		URLs:  []string{url},
		Fetch: []config.RefSpec{r.fetchSpec()},
	}
	if err := r.repo.SetConfig(cfg); err != nil {
		return fmt.Errorf("write clone config: %w", err)
	}
	return nil
}

func (r *Repo) branchRef() plumbing.ReferenceName {
	return plumbing.NewBranchReferenceName(r.opts.Branch)
}

func (r *Repo) trackingRef() plumbing.ReferenceName {
	return plumbing.NewRemoteReferenceName(remoteName, r.opts.Branch)
}

func (r *Repo) fetchSpec() config.RefSpec {
	return config.RefSpec(fmt.Sprintf("+%s:%s", r.branchRef(), r.trackingRef()))
}

// Fetch fetches the branch and returns the remote head commit. A remote
// without the branch yields [ErrBranchNotFound]. The call is bounded by
// [RepoOptions].Timeout ([ErrTimeout]) and aborted when ctx is done.
//
// A clone found damaged ([ErrCorrupt]) by a read since the last fetch, or by
// [Repo.Verify] after a fetch that failed, is cloned again ([Repo.Repair]).
func (r *Repo) Fetch(ctx context.Context) (plumbing.Hash, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Commits built since the last push were not pushed (a rejected push,
	// an abandoned pass): they will never be.
	r.objs.discard()
	if r.damage != nil {
		err := r.repairLocked(ctx, r.damage)
		return r.head, err
	}
	head, err := r.fetchLocked(ctx)
	if err == nil || r.wd == nil || errors.Is(err, ErrBranchNotFound) || errors.Is(err, ErrTimeout) || ctx.Err() != nil {
		return head, err
	}
	verr := r.verifyLocked()
	if verr == nil {
		return head, err // the remote's fault, or the network's
	}
	err = r.repairLocked(ctx, verr)
	return r.head, err
}

// fetchLocked fetches the branch; callers hold mu.
func (r *Repo) fetchLocked(ctx context.Context) (plumbing.Hash, error) {
	err := r.remoteCall(ctx, func(ctx context.Context, px transport.ProxyOptions) error {
		return r.repo.FetchContext(ctx, &git.FetchOptions{
			RemoteName:   remoteName,
			RefSpecs:     []config.RefSpec{r.fetchSpec()},
			Auth:         r.creds.method,
			Tags:         git.NoTags,
			ProxyOptions: px,
		})
	})
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
	case errors.Is(err, transport.ErrEmptyRemoteRepository), errors.Is(err, git.NoMatchingRefSpecError{}):
		r.head = plumbing.ZeroHash
		return plumbing.ZeroHash, fmt.Errorf("fetch %s from %s: %w", r.opts.Branch, r.URL(), ErrBranchNotFound)
	default:
		return plumbing.ZeroHash, redact(fmt.Errorf("fetch %s from %s: %w", r.opts.Branch, r.URL(), err), r.creds.secrets...)
	}
	ref, err := r.repo.Storer.Reference(r.trackingRef())
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read %s after fetch: %w", r.trackingRef(), err)
	}
	r.head = ref.Hash()
	return r.head, nil
}

// PendingBytes is the compressed size of the objects of commits not pushed
// yet: what the next push sends.
func (r *Repo) PendingBytes() int64 { return r.objs.pendingBytes() }

// Head returns the remote head commit as of the last fetch or push; zero if
// the branch does not exist yet.
func (r *Repo) Head() plumbing.Hash {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.head
}

// Branch returns the branch the repo fetches and pushes.
func (r *Repo) Branch() string { return r.opts.Branch }

// URL returns the remote URL without credentials.
func (r *Repo) URL() string { return SanitizeURL(r.opts.URL) }

// Dir returns the directory of the bare clone.
func (r *Repo) Dir() string { return r.dir }

// Close releases the workdir lock, and removes the workdir if it was a
// private temporary one.
func (r *Repo) Close() error {
	var errs []error
	if r.store != nil {
		errs = append(errs, r.store.Close(), r.objs.close())
		r.store = nil
	}
	if r.wd != nil {
		errs = append(errs, r.wd.release())
		r.wd = nil
	}
	return errors.Join(errs...)
}
