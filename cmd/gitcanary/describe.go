package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gitcanary/gitcanary/reconciler"
)

func newDescribeCommand() *cobra.Command {
	describe := &cobra.Command{Use: "describe", Short: "Show a canary's spec, status and events, from Git"}
	var o readOptions
	cmd := &cobra.Command{
		Use:   "canary NAME",
		Short: "Show a canary: spec summary, status, and its events (= its commits)",
		Long: `Show a canary: spec summary, status, and its events (= its commits).
With -o json|yaml it prints a v1 List holding the Canary and one v1 Event per commit.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			info, events, err := o.events(cmd.Context(), cmd.ErrOrStderr(), args[0])
			if err != nil {
				return err
			}
			if o.output != "table" {
				items := []any{newCanaryObject(info)}
				for _, e := range events {
					items = append(items, newEventObject(info, e))
				}
				return print(cmd.OutOrStdout(), o.output, newList(items))
			}
			return describeText(cmd.OutOrStdout(), info, events)
		},
	}
	o.bind(cmd)
	describe.AddCommand(cmd)
	return describe
}

func describeText(w io.Writer, info reconciler.CanaryInfo, events []reconciler.Transition) error {
	c, st := info.Canary, info.Status
	a := c.Spec.Analysis
	tw := table(w)
	fmt.Fprintf(tw, "Name:\t%s\n", info.Name)
	fmt.Fprintf(tw, "Namespace:\t%s\n", info.Namespace)
	if info.Terminated != "" {
		fmt.Fprintf(tw, "File:\t%s (%s), deleted: terminated in %s\n", info.Path, c.APIVersion, info.Terminated[:7])
	} else {
		fmt.Fprintf(tw, "File:\t%s (%s)\n", info.Path, c.APIVersion)
	}
	fmt.Fprintf(tw, "Target:\t%s/%s\n", c.Spec.TargetRef.Kind, c.Spec.TargetRef.Name)
	fmt.Fprintf(tw, "Provider:\t%s\n", c.Spec.Provider)
	steps := fmt.Sprintf("step %d, max %d", a.StepWeight, a.MaxWeight)
	if len(a.StepWeights) > 0 {
		steps = fmt.Sprintf("steps %v, max %d", a.StepWeights, a.MaxWeight)
	}
	if a.Iterations > 0 {
		steps = fmt.Sprintf("%d iterations", a.Iterations)
	}
	if a.Mirror {
		steps += ", mirrored"
	}
	fmt.Fprintf(tw, "Analysis:\t%s, interval %s, threshold %d, %s\n", a.Strategy(), a.Interval.Duration, a.Threshold, steps)
	for i, m := range a.Metrics {
		label := ""
		if i == 0 {
			label = "Metrics:"
		}
		bounds := ""
		if r := m.ThresholdRange; r != nil {
			if r.Min != nil {
				bounds += fmt.Sprintf(" min %v", *r.Min)
			}
			if r.Max != nil {
				bounds += fmt.Sprintf(" max %v", *r.Max)
			}
		}
		fmt.Fprintf(tw, "%s\t%s%s over %s\n", label, m.Name, bounds, m.Interval.Duration)
	}
	for i, warn := range c.Warnings {
		label := ""
		if i == 0 {
			label = "Warnings:"
		}
		fmt.Fprintf(tw, "%s\t%s: %s\n", label, warn.Field, warn.Msg)
	}
	fmt.Fprintln(tw, "Status:\t")
	phase := string(st.Phase)
	if phase == "" {
		phase = "<pending: not reconciled yet>"
	}
	fmt.Fprintf(tw, "  Phase:\t%s\n", phase)
	if st.Paused {
		fmt.Fprintf(tw, "  Paused:\tby %s at %s (gitcanary resume %s -n %s goes on)\n", orUnknown(st.PausedBy), timestamp(st.PausedAt), info.Name, info.Namespace)
	}
	if c.Spec.Suspend {
		fmt.Fprintf(tw, "  Suspended:\tspec.suspend is true in %s\n", info.Path)
	}
	fmt.Fprintf(tw, "  Canary Weight:\t%d\n", st.CanaryWeight)
	if a.Iterations > 0 {
		fmt.Fprintf(tw, "  Iterations:\t%d/%d\n", min(st.Iterations, a.Iterations), a.Iterations)
	}
	if st.Mirrored {
		fmt.Fprintln(tw, "  Mirrored:\ttrue")
	}
	if st.SessionAffinityCookie != "" {
		fmt.Fprintf(tw, "  Session Affinity Cookie:\t%s\n", st.SessionAffinityCookie)
	}
	fmt.Fprintf(tw, "  Failed Checks:\t%d\n", st.FailedChecks)
	fmt.Fprintf(tw, "  Last Applied Spec:\t%s\n", st.LastAppliedSpec)
	fmt.Fprintf(tw, "  Last Promoted Spec:\t%s\n", st.LastPromotedSpec)
	fmt.Fprintf(tw, "  Last Transition Time:\t%s\n", timestamp(st.LastTransitionTime))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Events:")
	tw = table(w)
	if a.Iterations == 0 {
		fmt.Fprintln(tw, "  TIME\tCOMMIT\tPHASE\tWEIGHT\tMESSAGE")
		for _, e := range events {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\n", timestamp(e.Time), e.SHA[:7], e.Phase, e.Weight, e.Message)
		}
		return tw.Flush()
	}
	fmt.Fprintln(tw, "  TIME\tCOMMIT\tPHASE\tWEIGHT\tITERATION\tMESSAGE")
	for _, e := range events {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\t%s\n", timestamp(e.Time), e.SHA[:7], e.Phase, e.Weight, orNone(e.Iterations), e.Message)
	}
	return tw.Flush()
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}
