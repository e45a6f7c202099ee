package main

import (
	"github.com/fluxcd/pkg/runtime/logger"
	"github.com/spf13/cobra"

	"github.com/gitcanary/gitcanary/reconciler"
)

func newRunCommand() *cobra.Command {
	opts := reconciler.DefaultOptions()
	var logOpts logger.Options
	cmd := &cobra.Command{
		Use:   "run --repo URL [--branch main] [--prometheus URL] [--once]",
		Short: "Reconcile the canaries of a config repository, one commit per step",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, logged := logOnce(logger.NewLogger(logOpts))
			opts.Repo.Log = log
			opts.Version = buildVersion()
			err := reconciler.Run(cmd.Context(), opts, log)
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
	opts.Repo.Render.BindFlags(cmd.Flags())
	logOpts.BindFlags(cmd.Flags())
	return cmd
}
