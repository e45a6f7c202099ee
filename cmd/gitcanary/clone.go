package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// clone is the local clone a read command was pointed at (--dir): where its
// HEAD is, which remote branch it follows and when it last heard from it.
type clone struct {
	dir string
	// origin is the URL of its origin remote, "" when it has none.
	origin string
	// branch is the origin branch its HEAD follows ("" when detached).
	branch   string
	head     plumbing.Hash
	headTime time.Time
	// lastFetch is when a fetch last updated the clone (zero: unknown).
	lastFetch time.Time
}

func openClone(dir string) (*clone, error) {
	r, err := gogit.PlainOpenWithOptions(dir, &gogit.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, fmt.Errorf("open git repository at %s: %w", dir, err)
	}
	ref, err := r.Head()
	if err != nil {
		return nil, fmt.Errorf("read HEAD of %s: %w", dir, err)
	}
	c := &clone{dir: dir, head: ref.Hash()}
	if commit, err := r.CommitObject(ref.Hash()); err == nil {
		c.headTime = commit.Committer.When
	}
	if remote, err := r.Remote("origin"); err == nil && len(remote.Config().URLs) > 0 {
		c.origin = remote.Config().URLs[0]
	}
	if ref.Name().IsBranch() {
		c.branch = ref.Name().Short()
		if cfg, err := r.Config(); err == nil {
			if b := cfg.Branches[c.branch]; b != nil && b.Remote == "origin" && b.Merge.IsBranch() {
				c.branch = b.Merge.Short()
			}
		}
	}
	if st, ok := r.Storer.(*filesystem.Storage); ok {
		gitDir := st.Filesystem().Root()
		// A fetch writes FETCH_HEAD and the branch's reflog; a clone
		// writes the reflog of origin/HEAD.
		origin := filepath.Join("logs", "refs", "remotes", "origin")
		for _, p := range []string{"FETCH_HEAD", filepath.Join(origin, filepath.FromSlash(c.branch)), filepath.Join(origin, "HEAD")} {
			if fi, err := os.Stat(filepath.Join(gitDir, p)); err == nil && fi.ModTime().After(c.lastFetch) {
				c.lastFetch = fi.ModTime()
			}
		}
	}
	return c, nil
}

// staleness is the note a read command prints when it shows the clone as
// it is: how old what it shows may be.
func (c *clone) staleness(now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Reading the clone at %s as it is: HEAD %s", c.dir, c.head.String()[:7])
	if c.branch != "" {
		fmt.Fprintf(&b, " (%s)", c.branch)
	}
	if !c.headTime.IsZero() {
		fmt.Fprintf(&b, ", committed %s (%s ago)", timestamp(c.headTime), age(now.Sub(c.headTime)))
	}
	switch {
	case c.origin == "":
		b.WriteString("; it has no origin to fetch from")
	case c.lastFetch.IsZero():
		b.WriteString("; never fetched from origin: --fetch reads origin")
	default:
		fmt.Fprintf(&b, "; last fetched from origin %s ago: --fetch reads origin", age(now.Sub(c.lastFetch)))
	}
	return b.String()
}

// age is a duration as people say it: "45s", "12m", "3h20m", "6d4h".
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}
