package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/gitcanary/gitcanary/fixtures/demo"
)

func newDemoCommand() *cobra.Command {
	var plain, keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole GitOps loop on this machine: config repo, simulated cluster, Prometheus, gitcanary",
		Long: `demo makes a bare config repository from the sample podinfo app, starts a simulated
cluster (a Flux stand-in that renders the repo with kustomize, podinfo-like workloads, a mesh
that splits load by the VirtualService weights and records Istio telemetry), an embedded
PromQL engine scraping it, and the real gitcanary reconcile loop. Then it plays CI: a healthy
release is promoted, a faulty one is rolled back and reverted in Git, a fixed one is promoted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			_, err := demo.Run(cmd.Context(), demo.Options{Out: out, Live: !plain && isTerminal(out), Keep: keep})
			return err
		},
	}
	cmd.Flags().BoolVar(&plain, "plain", false, "one line per event, no live status line (the default when stdout is not a terminal)")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the config repository to look around afterwards")
	return cmd
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
