package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler"
)

func newValidateCommand() *cobra.Command {
	provider := "istio"
	noRemoteBases := false
	cmd := &cobra.Command{
		Use:   "validate [DIR]",
		Short: "Check every Canary and render every app of a checked-out config repository",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			out := cmd.OutOrStdout()
			if noRemoteBases {
				// Before anything renders, so nothing is fetched.
				remote, err := gitops.RemoteResourcesUnder(filesys.MakeFsOnDisk(), dir)
				if err != nil {
					return err
				}
				for _, p := range remote {
					fmt.Fprintln(out, p)
				}
				if len(remote) > 0 {
					return fmt.Errorf("%d kustomizations name remote resources (--no-remote-bases)", len(remote))
				}
			}
			problems, n, err := reconciler.Validate(dir, provider)
			if err != nil {
				return err
			}
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
	cmd.Flags().BoolVar(&noRemoteBases, "no-remote-bases", false, "refuse kustomizations that name remote resources (git or http URLs), before rendering anything: for untrusted pull requests")
	return cmd
}
