package gitops

import (
	"fmt"

	"github.com/go-git/go-git/v5"
)

// OpenLocal opens the repository that holds dir (a clone with a worktree, or
// a bare repository) read-only, at its HEAD. The read commands (get,
// describe, history) use it on the current directory; it never fetches,
// locks or writes.
func OpenLocal(dir string) (*Repo, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, fmt.Errorf("open git repository at %s: %w", dir, err)
	}
	head, err := repo.Head()
	if err != nil {
		return nil, fmt.Errorf("read HEAD of %s: %w", dir, err)
	}
	return &Repo{dir: dir, repo: repo, head: head.Hash()}, nil
}
