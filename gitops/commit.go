package gitops

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Commit writes a commit on top of parent (zero for a root commit) that
// applies changes: path to new content, nil content to delete. Only the
// trees along the changed paths are rewritten; directories left empty
// disappear. Author is also the committer. The commit is signed when the
// repo has a signer. Chain calls, passing the previous result as parent, to
// build several commits for one push.
//
// Changes that leave the tree as it is give [ErrNoChanges].
func (r *Repo) Commit(parent plumbing.Hash, changes map[string][]byte, msg string, author Signature, when time.Time) (plumbing.Hash, error) {
	norm := make(map[string][]byte, len(changes))
	for p, data := range changes {
		clean, err := validatePath(p)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		norm[clean] = data
	}
	for p, data := range norm {
		for dir := p; data != nil; {
			i := strings.LastIndexByte(dir, '/')
			if i < 0 {
				break
			}
			dir = dir[:i]
			if d, ok := norm[dir]; ok && d != nil {
				return plumbing.ZeroHash, fmt.Errorf("invalid changes: %s is written both as a file and as a directory", dir)
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()

	var baseTree plumbing.Hash // zero: no parent, the empty tree
	var parents []plumbing.Hash
	if !parent.IsZero() {
		pc, err := object.GetCommit(r.repo.Storer, parent)
		if err != nil {
			if parent == r.head {
				err = r.damaged(err)
			}
			return plumbing.ZeroHash, fmt.Errorf("read parent commit %s: %w", parent, err)
		}
		baseTree = pc.TreeHash
		parents = []plumbing.Hash{parent}
	}
	tb := &treeBuilder{s: r.repo.Storer, entries: func(h plumbing.Hash) ([]object.TreeEntry, error) {
		t, err := r.dirTree(h)
		if err != nil {
			return nil, err
		}
		return t.entries, nil
	}, wrote: func(h plumbing.Hash, entries []object.TreeEntry) {
		r.keepTree(h, entries)
	}}
	treeHash, err := tb.apply(baseTree, norm)
	if err != nil {
		return plumbing.ZeroHash, r.damaged(err)
	}
	if baseTree.IsZero() {
		baseTree = emptyTreeHash
	}
	if treeHash == baseTree {
		return plumbing.ZeroHash, ErrNoChanges
	}

	sig := object.Signature{Name: sanitizeIdent(author.Name), Email: sanitizeIdent(author.Email), When: when}
	c := &object.Commit{
		Author:       sig,
		Committer:    sig,
		Message:      msg,
		TreeHash:     treeHash,
		ParentHashes: parents,
	}
	if r.signer != nil {
		unsigned := &plumbing.MemoryObject{}
		if err := c.EncodeWithoutSignature(unsigned); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("encode commit: %w", err)
		}
		rd, err := unsigned.Reader()
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("encode commit: %w", err)
		}
		sigBytes, err := r.signer.Sign(rd)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("sign commit: %w", err)
		}
		c.PGPSignature = string(sigBytes)
	}
	obj := r.repo.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode commit: %w", err)
	}
	h, err := r.repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write commit: %w", err)
	}
	return h, nil
}

var identRe = regexp.MustCompile("[<>\n]")

// sanitizeIdent removes characters that would corrupt a commit header.
func sanitizeIdent(s string) string { return strings.TrimSpace(identRe.ReplaceAllString(s, "")) }

// validatePath checks a path for a change: relative, no "." or ".."
// components, nothing inside .git.
func validatePath(p string) (string, error) {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return "", fmt.Errorf("invalid path %q: must be relative to the repository root", p)
	}
	for _, part := range strings.Split(p, "/") {
		switch {
		case part == "", part == ".", part == "..":
			return "", fmt.Errorf("invalid path %q: empty, . or .. component", p)
		case strings.EqualFold(part, ".git"):
			return "", fmt.Errorf("invalid path %q: .git is reserved", p)
		}
	}
	return p, nil
}
