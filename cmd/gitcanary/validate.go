package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gitcanary/gitcanary/reconciler"
)

func newValidateCommand() *cobra.Command {
	provider := "istio"
	cmd := &cobra.Command{
		Use:   "validate [DIR]",
		Short: "Check every Canary and render every app of a checked-out config repository",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			problems, n, err := reconciler.Validate(dir, provider)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, p := range problems {
				fmt.Fprintln(out, p)
			}
			if len(problems) > 0 {
				return fmt.Errorf("%d problems in %d canaries", len(problems), n)
			}
			fmt.Fprintf(out, "%d canaries valid\n", n)
			return nil
		},
	}
	cmd.Flags().StringVar(&provider, "provider", provider, "mesh provider of canaries that do not set spec.provider")
	return cmd
}
