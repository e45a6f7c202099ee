package main

import (
	"context"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler"
	"github.com/gitcanary/gitcanary/reconciler/ui"
)

func newRunCommand() *cobra.Command {
	opts := reconciler.DefaultOptions()
	var logOpts logOptions
	uiOpts := ui.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "run --repo URL [--branch main] [--prometheus URL] [--once]",
		Short: "Reconcile the canaries of a config repository, one commit per step",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			base, err := stderrLogger(logOpts)
			if err != nil {
				return err
			}
			log, logged := logOnce(base)
			if opts.Shard, err = resolveShard(opts.Shard); err != nil {
				log.Error(err, "run failed")
				return reported{err}
			}
			opts.Repo.Log = log
			opts.Version = buildVersion()
			uiOpts.Provider = opts.Provider
			opts.UI = func(ctx context.Context, repo *gitops.Repo) (http.Handler, error) {
				// The UI reads the head the reconcile loop fetches: it never
				// fetches under it.
				s, err := ui.New(repo, ui.HeadOf(repo), uiOpts, log)
				if err != nil {
					return nil, err
				}
				go s.Watch(ctx)
				return s, nil
			}
			err = reconciler.Run(cmd.Context(), opts, log)
			if err == nil {
				return nil
			}
			if !logged(err) {
				log.Error(err, "run failed")
			}
			return reported{err}
		},
	}
	opts.BindFlags(cmd.Flags())
	cmd.Flags().Lookup("shard").Usage = "i/n: reconcile only the canaries of shard i of n; i may be a StatefulSet pod's name (--shard=$(POD_NAME)/3: gitcanary-2 takes shard 2)"
	opts.Repo.Render.BindFlags(cmd.Flags())
	uiOpts.Auth.BindFlags(cmd.Flags())
	cmd.Flags().StringVar(&uiOpts.ForgeURL, "forge-url", uiOpts.ForgeURL, "web address of the repository, for the UI's links to commits (default: from a GitHub remote URL)")
	logOpts.BindFlags(cmd.Flags())
	return cmd
}
