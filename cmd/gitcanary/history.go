package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gitcanary/gitcanary/reconciler"
	"github.com/gitcanary/gitcanary/reconciler/ui"
)

func newHistoryCommand() *cobra.Command {
	var o readOptions
	var svg, which string
	cmd := &cobra.Command{
		Use:   "history NAME",
		Short: "One row per rollout of a canary: revision, start, duration, outcome, commits",
		Long: `One row per rollout of a canary: revision, start, duration, outcome, commits.
With --svg FILE it also writes the plots of a rollout (the last one, or --rollout REVISION)
as one SVG: the canary weight per commit and each metric's values with its threshold.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			info, events, err := o.events(cmd.Context(), cmd.ErrOrStderr(), args[0])
			if err != nil {
				return err
			}
			rollouts := reconciler.Rollouts(events)
			if svg != "" {
				if err := writeRolloutSVG(cmd, svg, which, info, rollouts, events); err != nil {
					return err
				}
			}
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
			if !slices.ContainsFunc(rollouts, func(r reconciler.Rollout) bool { return r.Iterations != "" }) {
				fmt.Fprintln(tw, "REVISION\tSTARTED\tDURATION\tOUTCOME\tFAILEDCHECKS\tFIRST\tLAST")
				for _, r := range rollouts {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Revision, timestamp(r.Started), r.Duration, r.Outcome, r.FailedChecks, r.FirstSHA[:7], r.LastSHA[:7])
				}
				return tw.Flush()
			}
			fmt.Fprintln(tw, "REVISION\tSTARTED\tDURATION\tOUTCOME\tITERATIONS\tFAILEDCHECKS\tFIRST\tLAST")
			for _, r := range rollouts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Revision, timestamp(r.Started), r.Duration, r.Outcome, orNone(r.Iterations), r.FailedChecks, r.FirstSHA[:7], r.LastSHA[:7])
			}
			return tw.Flush()
		},
	}
	o.bind(cmd)
	cmd.Flags().StringVar(&svg, "svg", "", "write the plots of a rollout to this SVG file")
	cmd.Flags().StringVar(&which, "rollout", "", "with --svg: the rollout's revision or first commit (default: the last rollout)")
	return cmd
}

// writeRolloutSVG writes the plots of the rollout named by which (its
// revision or a prefix of its first commit; "": the last one) to file.
func writeRolloutSVG(cmd *cobra.Command, file, which string, info reconciler.CanaryInfo, rollouts []reconciler.Rollout, events []reconciler.Transition) error {
	var ro *reconciler.Rollout
	for i := len(rollouts) - 1; i >= 0 && ro == nil; i-- {
		r := rollouts[i]
		if which == "" || r.Revision == which || (len(which) >= 7 && strings.HasPrefix(r.FirstSHA, which)) {
			ro = &rollouts[i]
		}
	}
	switch {
	case ro == nil && which == "":
		return fmt.Errorf("--svg: canary %s.%s has no rollout to plot", info.Name, info.Namespace)
	case ro == nil:
		return fmt.Errorf("--rollout: canary %s.%s has no rollout %s", info.Name, info.Namespace, which)
	}
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("--svg: %w", err)
	}
	err = ui.WriteRolloutSVG(f, info.Canary.Key(), info.Canary.Spec.Analysis.Threshold, ro.Transitions(events))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--svg %s: %w", file, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "Wrote the plots of rollout %s (%s) to %s\n", ro.Revision, ro.Outcome, file)
	return nil
}
