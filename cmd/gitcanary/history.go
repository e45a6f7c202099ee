package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gitcanary/gitcanary/reconciler"
)

func newHistoryCommand() *cobra.Command {
	var o readOptions
	cmd := &cobra.Command{
		Use:   "history NAME",
		Short: "One row per rollout of a canary: revision, start, duration, outcome, commits",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			info, events, err := o.events(cmd.Context(), cmd.ErrOrStderr(), args[0])
			if err != nil {
				return err
			}
			rollouts := reconciler.Rollouts(events)
			if o.output != "table" {
				var items []any
				for _, r := range rollouts {
					items = append(items, newRolloutObject(info, r))
				}
				return print(cmd.OutOrStdout(), o.output, newList(items))
			}
			if len(rollouts) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "No rollouts found for canary %s.%s\n", info.Name, info.Namespace)
				return nil
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "REVISION\tSTARTED\tDURATION\tOUTCOME\tFAILEDCHECKS\tFIRST\tLAST")
			for _, r := range rollouts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Revision, timestamp(r.Started), r.Duration, r.Outcome, r.FailedChecks, r.FirstSHA[:7], r.LastSHA[:7])
			}
			return tw.Flush()
		},
	}
	o.bind(cmd)
	return cmd
}
