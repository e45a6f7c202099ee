package main

import (
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/gitcanary/gitcanary/reconciler/ui"
)

func newUICommand() *cobra.Command {
	var o readOptions
	opts := ui.DefaultOptions()
	var logOpts logOptions
	listen := "127.0.0.1:8080"
	cmd := &cobra.Command{
		Use:   "ui [--repo URL] [--listen 127.0.0.1:8080]",
		Short: "Serve a read-only web UI of the canaries, their rollouts and plots, from Git",
		Long: `Serve a read-only web UI: every canary, each one's current rollout live and its past
rollouts, and per rollout a plot of the canary weight per step and one plot per metric with
its threshold, with the gates it waited for. Everything is read from the repository's history;
it is fetched every --refresh. Pages need --ui-username (with --ui-password-file or
$GITCANARY_UI_PASSWORD) or a bearer token (--ui-token-file or $GITCANARY_UI_TOKEN) when set.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Provider = o.provider
			if err := opts.Validate(); err != nil {
				return err
			}
			log, err := stderrLogger(logOpts)
			if err != nil {
				return err
			}
			repo, _, err := o.open(cmd.Context())
			if err != nil {
				return err
			}
			defer repo.Close()
			var fetch ui.Fetcher = repo
			if repo.URL() == "" {
				// A local clone without origin: shown as it is.
				fetch = ui.HeadOf(repo)
			}
			srv, err := ui.New(repo, fetch, opts, log)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("--listen: %w", err)
			}
			where := repo.URL()
			if where == "" {
				where = repo.Dir() + " (not refreshed: the clone has no origin)"
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "gitcanary ui: %s (branch %s) at http://%s/\n", where, repo.Branch(), ln.Addr())
			return srv.Serve(cmd.Context(), ln)
		},
	}
	o.bind(cmd)
	_ = cmd.Flags().MarkHidden("output")
	_ = cmd.Flags().MarkHidden("namespace")
	cmd.Flags().StringVar(&listen, "listen", listen, "address to serve the UI on")
	opts.BindFlags(cmd.Flags())
	logOpts.BindFlags(cmd.Flags())
	return cmd
}
