// Command gitcanary does progressive delivery through Git: it watches a
// config repository, writes each canary step as a commit for Flux or Argo CD
// to apply, measures between commits and commits the promotion or revert.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand().ExecuteContext(ctx); err != nil {
		if !errors.As(err, new(reported)) {
			fmt.Fprintln(os.Stderr, "gitcanary:", err)
		}
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "gitcanary",
		Short:         "Progressive delivery for Kubernetes, through Git",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion(),
	}
	root.SetVersionTemplate("gitcanary {{.Version}}\n")
	root.AddCommand(newVersionCommand(), newRunCommand(), newValidateCommand(), newDemoCommand(), newGetCommand(), newDescribeCommand(), newHistoryCommand(), newUICommand(), newInstallCommand())
	for _, action := range []string{"promote", "abort", "pause", "resume"} {
		root.AddCommand(newRequestCommand(action))
	}
	return root
}
