//go:build !nodemo

package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitcanary/gitcanary/fixtures"
	"github.com/gitcanary/gitcanary/fixtures/demo"
)

func newDemoCommand() *cobra.Command {
	var plain, keep, mirror, helm bool
	var prometheus, metricsAddr, provider, strategy string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole GitOps loop on this machine: config repo, simulated cluster, Prometheus, gitcanary",
		Long: `demo makes a bare config repository from the sample podinfo app, starts a simulated
cluster (a Flux stand-in that renders the repo with kustomize, podinfo-like workloads, a mesh
that splits load by the router objects' weights and records each provider's telemetry), an
embedded PromQL engine scraping it, and the real gitcanary reconcile loop. Then it plays CI: a
healthy release is promoted, a faulty one is rolled back and reverted in Git, a fixed one is
promoted. --provider picks the sample app's provider (Istio by default); --strategy the
release strategy: canary (weight steps), ab (A/B testing: the requests with the header
x-canary: insider reach the canary for three iterations) or bluegreen (three iterations on
the canary's own Service, then all traffic to it before the promotion; --mirror mirrors the
users' requests to it instead). Provider kubernetes has no router: blue/green only. --helm
makes the app a Flux HelmRelease of a chart kept in the config repository, whose values CI bumps.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			opts := demo.Options{Out: out, Live: !plain && isTerminal(out), Keep: keep, KeepServing: keep, Provider: provider, Strategy: strategy, Mirror: mirror, Helm: helm}
			if prometheus != "" {
				// A real Prometheus scrapes the mesh at --metrics-addr.
				opts.MetricsAddr = metricsAddr
				opts.Interval = 3 * time.Second // a 1s scrape needs two samples of a new series
				opts.Prometheus = func(metricsURL string) (string, error) {
					fmt.Fprintf(out, "mesh metrics at %s: point %s's scrape config at it (scrape_interval 1s)\n", metricsURL, prometheus)
					return prometheus, nil
				}
			}
			_, err := demo.Run(cmd.Context(), opts)
			return err
		},
	}
	cmd.Flags().BoolVar(&plain, "plain", false, "one line per event, no live status line (the default when stdout is not a terminal)")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the config repository to look around afterwards, and serve the UI until Ctrl-C")
	cmd.Flags().StringVar(&prometheus, "prometheus", "", "query this Prometheus instead of the embedded engine; it must scrape --metrics-addr")
	cmd.Flags().StringVar(&metricsAddr, "metrics-addr", "127.0.0.1:9797", "where the simulated mesh serves /metrics when --prometheus is set")
	cmd.Flags().StringVar(&provider, "provider", fixtures.DefaultProvider, "provider of the sample app's Canary: "+strings.Join(append(fixtures.SampleProviders(), demo.ProviderWithoutRouter), ", "))
	cmd.Flags().StringVar(&strategy, "strategy", "", "release strategy: "+strings.Join(demo.Strategies, ", ")+" (default canary; bluegreen for provider "+demo.ProviderWithoutRouter+")")
	cmd.Flags().BoolVar(&mirror, "mirror", false, "mirror the users' requests to the canary (analysis.mirror): in blue/green's iterations, or in a canary release's first step")
	cmd.Flags().BoolVar(&helm, "helm", false, "the app is a Flux HelmRelease of a chart in the config repository: CI bumps its values.image.tag")
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
