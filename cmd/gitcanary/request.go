package main

import (
	"fmt"
	"os"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/spf13/cobra"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler"
)

var requestHelp = map[string]string{
	"promote": "Skip the rest of a canary's analysis and promote it",
	"abort":   "Roll a canary back now",
	"pause":   "Stop a canary's transitions until resume",
	"resume":  "Let a paused canary go on",
}

// newRequestCommand builds `gitcanary promote|abort|pause|resume NAME`: it
// commits a request that the next pass honours.
func newRequestCommand(action string) *cobra.Command {
	var (
		opts      gitops.RepoOptions
		dir       string
		namespace string
		author    string
		provider  = "istio"
	)
	cmd := &cobra.Command{
		Use:   action + " NAME",
		Short: requestHelp[action] + " (commits a request the next pass honours)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			by, err := requester(author, dir)
			if err != nil {
				return err
			}
			if opts.URL == "" {
				if opts.URL, err = originURL(dir); err != nil {
					return err
				}
			}
			repo, err := gitops.OpenRepo(cmd.Context(), opts)
			if err != nil {
				return err
			}
			defer repo.Close()
			sha, pending, err := reconciler.SubmitRequest(cmd.Context(), repo, namespace, args[0], action, by, provider, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s requested for canary %s in %s (commit %s); %s\n", action, args[0], repo.URL(), sha.String()[:7], queueNote(pending))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.URL, "repo", "", "repository URL (default: the origin of the clone in --dir)")
	f.StringVar(&opts.Branch, "branch", "main", "branch the canary is on")
	f.StringVar(&dir, "dir", ".", "local clone whose origin and git config are used")
	f.StringVarP(&namespace, "namespace", "n", "", "namespace of the canary (default: any)")
	f.StringVar(&author, "author", "", "who asks, \"Name <email>\" (default: git config user.name and user.email)")
	f.StringVar(&provider, "provider", provider, "mesh provider of canaries that do not set spec.provider")
	opts.Auth.BindFlags(f)
	return cmd
}

// requester is who asks: --author, else the git config of the clone (or the
// global one), else the GIT_AUTHOR_* environment.
func requester(author, dir string) (gitops.Signature, error) {
	if author != "" {
		return reconciler.ParseAuthor(author)
	}
	var sig gitops.Signature
	if r, err := gogit.PlainOpenWithOptions(dir, &gogit.PlainOpenOptions{DetectDotGit: true}); err == nil {
		if cfg, err := r.ConfigScoped(config.GlobalScope); err == nil {
			sig = gitops.Signature{Name: cfg.User.Name, Email: cfg.User.Email}
		}
	} else if cfg, err := config.LoadConfig(config.GlobalScope); err == nil {
		sig = gitops.Signature{Name: cfg.User.Name, Email: cfg.User.Email}
	}
	if sig.Name == "" {
		sig = gitops.Signature{Name: os.Getenv("GIT_AUTHOR_NAME"), Email: os.Getenv("GIT_AUTHOR_EMAIL")}
	}
	if sig.Name == "" || sig.Email == "" {
		return sig, fmt.Errorf("who is asking? set --author \"Name <email>\" or git config user.name and user.email")
	}
	return sig, nil
}

// originURL is the URL of the origin remote of the clone holding dir.
func originURL(dir string) (string, error) {
	r, err := gogit.PlainOpenWithOptions(dir, &gogit.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return "", fmt.Errorf("no --repo and no git clone at %s: %w", dir, err)
	}
	remote, err := r.Remote("origin")
	if err != nil || len(remote.Config().URLs) == 0 {
		return "", fmt.Errorf("no --repo and the clone at %s has no origin remote", dir)
	}
	return remote.Config().URLs[0], nil
}

// queueNote says when a queued request will be honoured.
func queueNote(pending int) string {
	if pending <= 1 {
		return "the next pass of gitcanary run honours it"
	}
	return fmt.Sprintf("%d requests pending: passes of gitcanary run honour them in order, one each", pending)
}
