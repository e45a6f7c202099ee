// Package gitops does all of gitcanary's Git I/O and renders app directories.
//
// It keeps a bare clone of the config repository (no worktree, ever), reads
// commits as read-only [Snapshot]s, exposes a snapshot plus an overlay of edits
// as a kustomize file system ([FS]) that records what was read, renders
// directories with krusty the way Flux's kustomize-controller does ([Render]),
// writes commits straight into the object database ([Repo.Commit]) and pushes
// them without ever forcing ([Repo.Push]). Commit messages carry git trailers
// ([FormatMessage], [ParseMessage]).
//
// Every fetch and push is bounded by [RepoOptions].Timeout and by its
// context, over every transport ([ErrTimeout]). Credentials stay in memory:
// the clone's config holds the URL without them. A damaged clone (a
// truncated pack, a missing object) is found ([ErrCorrupt], [Repo.Verify])
// and cloned again in place ([Repo.Repair]). Renders are bounded
// ([RenderOptions], [CheckYAML], [ErrTooLarge], [ErrRenderTimeout]), read
// remote bases from kustomize's clones and remove them, or refuse them
// ([ErrRemoteBase]). [Repo.Log] stops at a shallow clone's boundary
// ([ErrShallow]).
//
// A pass with nothing to do costs one fetch plus a few object reads.
//
// Transports: https, http and ssh are handled in Go by go-git. For plain paths
// and file:// URLs go-git runs git-upload-pack and git-receive-pack, so the
// git binaries must be installed for local repositories.
package gitops
