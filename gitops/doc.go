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
// A pass with nothing to do costs one fetch plus a few object reads.
//
// Transports: https, http and ssh are handled in Go by go-git. For plain paths
// and file:// URLs go-git runs git-upload-pack and git-receive-pack, so the
// git binaries must be installed for local repositories.
package gitops
