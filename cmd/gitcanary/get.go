package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitcanary/gitcanary/reconciler"
)

func newGetCommand() *cobra.Command {
	get := &cobra.Command{Use: "get", Short: "List canaries and their status, from Git"}
	var o readOptions
	cmd := &cobra.Command{
		Use:     "canaries",
		Aliases: []string{"canary"},
		Short:   "List canaries: NAME STATUS WEIGHT FAILEDCHECKS LASTTRANSITIONTIME",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			repo, head, err := o.open(cmd.Context())
			if err != nil {
				return err
			}
			defer repo.Close()
			snap, err := repo.Snapshot(head)
			if err != nil {
				return err
			}
			infos, errs := reconciler.ListCanaries(snap, o.provider, time.Now())
			for _, e := range errs {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", e)
			}
			var rows []reconciler.CanaryInfo
			for _, c := range infos {
				if o.allNamespaces || o.namespace == "" || c.Namespace == o.namespace {
					rows = append(rows, c)
				}
			}
			if o.output != "table" {
				var items []any
				for _, c := range rows {
					items = append(items, newCanaryObject(c))
				}
				return print(cmd.OutOrStdout(), o.output, newList(items))
			}
			if len(rows) == 0 {
				if o.namespace != "" && !o.allNamespaces {
					fmt.Fprintf(cmd.ErrOrStderr(), "No canaries found in namespace %s\n", o.namespace)
				} else {
					fmt.Fprintln(cmd.ErrOrStderr(), "No canaries found")
				}
				return nil
			}
			tw := table(cmd.OutOrStdout())
			withNS := o.namespace == "" || o.allNamespaces
			if withNS {
				fmt.Fprint(tw, "NAMESPACE\t")
			}
			fmt.Fprintln(tw, "NAME\tSTATUS\tWEIGHT\tFAILEDCHECKS\tLASTTRANSITIONTIME")
			for _, c := range rows {
				if withNS {
					fmt.Fprintf(tw, "%s\t", c.Namespace)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", c.Name, statusColumn(c), c.Status.CanaryWeight, c.Status.FailedChecks, timestamp(c.Status.LastTransitionTime))
			}
			return tw.Flush()
		},
	}
	o.bind(cmd)
	cmd.Flags().BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "list canaries of every namespace (the default without -n)")
	get.AddCommand(cmd)
	return get
}

// statusColumn is the STATUS of `get canaries`: the phase, and what holds
// the canary.
func statusColumn(c reconciler.CanaryInfo) string {
	s := string(c.Status.Phase)
	if s == "" {
		s = "<pending>"
	}
	switch {
	case c.Conflict != "":
		s += " (conflict)"
	case c.Status.Paused:
		s += " (paused)"
	case c.Canary.Spec.Suspend:
		s += " (suspended)"
	}
	return s
}
