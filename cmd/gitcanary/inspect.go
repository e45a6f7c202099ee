package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler"
)

// readOptions are the flags of the read commands: where the repository is
// and how to print.
type readOptions struct {
	repo          gitops.RepoOptions
	dir           string
	fetch         bool
	namespace     string
	allNamespaces bool
	output        string
	provider      string
	cmd           *cobra.Command
}

func (o *readOptions) bind(cmd *cobra.Command) {
	o.cmd = cmd
	f := cmd.Flags()
	f.StringVar(&o.repo.URL, "repo", "", "repository URL to read (default: the clone in --dir)")
	f.StringVar(&o.repo.Branch, "branch", "main", "branch to read (default with --dir: the clone's current branch)")
	f.StringVar(&o.dir, "dir", ".", "local clone to read when --repo is not set")
	f.BoolVar(&o.fetch, "fetch", false, "with --dir, read the branch of the clone's origin rather than the clone as it is (default: true when the clone has an origin)")
	f.StringVarP(&o.namespace, "namespace", "n", "", "namespace of the canary (default: any)")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table, json or yaml")
	f.StringVar(&o.provider, "provider", "istio", "mesh provider of canaries that do not set spec.provider")
	o.repo.Auth.BindFlags(f)
}

// open opens the repository the read commands look at and returns its head.
// With --dir, a clone with an origin is read as its origin's branch is now
// (unless --fetch=false); a clone read as it is gets a note on stderr
// saying how old its view is.
func (o *readOptions) open(ctx context.Context) (*gitops.Repo, plumbing.Hash, error) {
	if o.output != "table" && o.output != "json" && o.output != "yaml" {
		return nil, plumbing.ZeroHash, fmt.Errorf("--output must be table, json or yaml, got %q", o.output)
	}
	if o.repo.URL == "" {
		c, err := openClone(o.dir)
		if err != nil {
			return nil, plumbing.ZeroHash, err
		}
		fetch := c.origin != ""
		if o.cmd.Flags().Changed("fetch") {
			fetch = o.fetch
		}
		if !fetch {
			r, err := gitops.OpenLocal(o.dir)
			if err != nil {
				return nil, plumbing.ZeroHash, err
			}
			fmt.Fprintln(o.cmd.ErrOrStderr(), c.staleness(time.Now()))
			return r, r.Head(), nil
		}
		if c.origin == "" {
			return nil, plumbing.ZeroHash, fmt.Errorf("--fetch: the clone at %s has no origin remote", o.dir)
		}
		o.repo.URL = c.origin
		if !o.cmd.Flags().Changed("branch") && c.branch != "" {
			o.repo.Branch = c.branch
		}
	}
	r, err := gitops.OpenRepo(ctx, o.repo)
	if err != nil {
		return nil, plumbing.ZeroHash, err
	}
	if r.Head().IsZero() {
		_ = r.Close()
		return nil, plumbing.ZeroHash, fmt.Errorf("branch %s not found in %s", o.repo.Branch, r.URL())
	}
	return r, r.Head(), nil
}

// find returns the canary named name, in the namespace when one is given;
// a canary gitcanary terminated is found as the last commit that held it
// had it (its history stays in Git).
func (o *readOptions) find(ctx context.Context, repo *gitops.Repo, head plumbing.Hash, name string) (reconciler.CanaryInfo, error) {
	snap, err := repo.Snapshot(head)
	if err != nil {
		return reconciler.CanaryInfo{}, err
	}
	infos, _ := reconciler.ListCanaries(snap, o.provider, time.Now())
	info, err := reconciler.FindCanary(infos, o.namespace, name)
	if err != nil && !slices.ContainsFunc(infos, func(i reconciler.CanaryInfo) bool { return i.Name == name }) {
		if term, found, terr := reconciler.FindTerminated(ctx, repo, head, o.provider, o.namespace, name); terr != nil {
			return info, terr
		} else if found {
			return term, nil
		}
	}
	return info, err
}

// events finds canary name and reads its transitions from Git. In a shallow
// clone they are the transitions the clone holds, and warn says so.
func (o *readOptions) events(ctx context.Context, warn io.Writer, name string) (reconciler.CanaryInfo, []reconciler.Transition, error) {
	repo, head, err := o.open(ctx)
	if err != nil {
		return reconciler.CanaryInfo{}, nil, err
	}
	defer repo.Close()
	info, err := o.find(ctx, repo, head, name)
	if err != nil {
		return info, nil, err
	}
	events, err := reconciler.Events(ctx, repo, head, info.Namespace+"/"+info.Name)
	if errors.Is(err, gitops.ErrShallow) {
		fmt.Fprintln(warn, "warning: partial history:", err)
		err = nil
	}
	return info, events, err
}

// print writes v as JSON or YAML.
func print(w io.Writer, format string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if format == "yaml" {
		if b, err = yaml.JSONToYAML(b); err != nil {
			return err
		}
	} else {
		b = append(b, '\n')
	}
	_, err = w.Write(b)
	return err
}

func table(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return "<none>"
	}
	return t.UTC().Format(time.RFC3339)
}
