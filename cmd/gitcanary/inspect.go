package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler"
)

// readOptions are the flags of the read commands: where the repository is
// and how to print.
type readOptions struct {
	repo          gitops.RepoOptions
	dir           string
	namespace     string
	allNamespaces bool
	output        string
	provider      string
}

func (o *readOptions) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.repo.URL, "repo", "", "repository URL to read (default: the clone in the current directory)")
	f.StringVar(&o.repo.Branch, "branch", "main", "branch to read with --repo")
	f.StringVar(&o.dir, "dir", ".", "local clone to read when --repo is not set")
	f.StringVarP(&o.namespace, "namespace", "n", "", "namespace of the canary (default: any)")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table, json or yaml")
	f.StringVar(&o.provider, "provider", "istio", "mesh provider of canaries that do not set spec.provider")
}

// open opens the repository the read commands look at and returns its head.
func (o *readOptions) open(ctx context.Context) (*gitops.Repo, plumbing.Hash, error) {
	if o.output != "table" && o.output != "json" && o.output != "yaml" {
		return nil, plumbing.ZeroHash, fmt.Errorf("--output must be table, json or yaml, got %q", o.output)
	}
	if o.repo.URL == "" {
		r, err := gitops.OpenLocal(o.dir)
		if err != nil {
			return nil, plumbing.ZeroHash, err
		}
		return r, r.Head(), nil
	}
	r, err := gitops.OpenRepo(ctx, o.repo)
	if err != nil {
		return nil, plumbing.ZeroHash, err
	}
	return r, r.Head(), nil
}

// find returns the canary named name, in the namespace when one is given.
func (o *readOptions) find(repo *gitops.Repo, head plumbing.Hash, name string) (reconciler.CanaryInfo, error) {
	snap, err := repo.Snapshot(head)
	if err != nil {
		return reconciler.CanaryInfo{}, err
	}
	infos, _ := reconciler.ListCanaries(snap, o.provider)
	var found []reconciler.CanaryInfo
	for _, c := range infos {
		if c.Name == name && (o.namespace == "" || c.Namespace == o.namespace) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 0:
		if o.namespace != "" {
			return reconciler.CanaryInfo{}, fmt.Errorf("canary %s not found in namespace %s", name, o.namespace)
		}
		return reconciler.CanaryInfo{}, fmt.Errorf("canary %s not found", name)
	case 1:
		return found[0], nil
	}
	var ns []string
	for _, c := range found {
		ns = append(ns, c.Namespace)
	}
	return reconciler.CanaryInfo{}, fmt.Errorf("canary %s exists in namespaces %s: set -n", name, strings.Join(ns, ", "))
}

// events finds canary name and reads its transitions from Git. In a shallow
// clone they are the transitions the clone holds, and warn says so.
func (o *readOptions) events(ctx context.Context, warn io.Writer, name string) (reconciler.CanaryInfo, []reconciler.Transition, error) {
	repo, head, err := o.open(ctx)
	if err != nil {
		return reconciler.CanaryInfo{}, nil, err
	}
	defer repo.Close()
	info, err := o.find(repo, head, name)
	if err != nil {
		return info, nil, err
	}
	events, err := reconciler.Events(ctx, repo, head, info.Namespace+"/"+info.Name)
	if errors.Is(err, gitops.ErrShallow) {
		fmt.Fprintln(warn, "warning: partial history:", err)
		err = nil
	}
	return info, events, err
}

// print writes v as JSON or YAML.
func print(w io.Writer, format string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if format == "yaml" {
		if b, err = yaml.JSONToYAML(b); err != nil {
			return err
		}
	} else {
		b = append(b, '\n')
	}
	_, err = w.Write(b)
	return err
}

func table(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return "<none>"
	}
	return t.UTC().Format(time.RFC3339)
}

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
			infos, errs := reconciler.ListCanaries(snap, o.provider)
			for _, e := range errs {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", e)
			}
			rows := []reconciler.CanaryInfo{}
			for _, c := range infos {
				if o.allNamespaces || o.namespace == "" || c.Namespace == o.namespace {
					rows = append(rows, c)
				}
			}
			if o.output != "table" {
				return print(cmd.OutOrStdout(), o.output, rows)
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
				phase := string(c.Status.Phase)
				if phase == "" {
					phase = "<pending>"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", c.Name, phase, c.Status.CanaryWeight, c.Status.FailedChecks, timestamp(c.Status.LastTransitionTime))
			}
			return tw.Flush()
		},
	}
	o.bind(cmd)
	cmd.Flags().BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "list canaries of every namespace (the default without -n)")
	get.AddCommand(cmd)
	return get
}

// description is what `describe canary -o json|yaml` prints.
type description struct {
	reconciler.CanaryInfo
	Events []reconciler.Transition `json:"events"`
}

func newDescribeCommand() *cobra.Command {
	describe := &cobra.Command{Use: "describe", Short: "Show a canary's spec, status and events, from Git"}
	var o readOptions
	cmd := &cobra.Command{
		Use:   "canary NAME",
		Short: "Show a canary: spec summary, status, and its events (= its commits)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			info, events, err := o.events(cmd.Context(), cmd.ErrOrStderr(), args[0])
			if err != nil {
				return err
			}
			if o.output != "table" {
				return print(cmd.OutOrStdout(), o.output, description{CanaryInfo: info, Events: events})
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
	fmt.Fprintf(tw, "File:\t%s (%s)\n", info.Path, c.APIVersion)
	fmt.Fprintf(tw, "Target:\t%s/%s\n", c.Spec.TargetRef.Kind, c.Spec.TargetRef.Name)
	fmt.Fprintf(tw, "Provider:\t%s\n", c.Spec.Provider)
	steps := fmt.Sprintf("step %d", a.StepWeight)
	if len(a.StepWeights) > 0 {
		steps = fmt.Sprintf("steps %v", a.StepWeights)
	}
	fmt.Fprintf(tw, "Analysis:\t%s, interval %s, threshold %d, %s, max %d\n", a.Strategy(), a.Interval.Duration, a.Threshold, steps, a.MaxWeight)
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
	fmt.Fprintln(tw, "Status:\t")
	phase := string(st.Phase)
	if phase == "" {
		phase = "<pending: not reconciled yet>"
	}
	fmt.Fprintf(tw, "  Phase:\t%s\n", phase)
	fmt.Fprintf(tw, "  Canary Weight:\t%d\n", st.CanaryWeight)
	fmt.Fprintf(tw, "  Failed Checks:\t%d\n", st.FailedChecks)
	fmt.Fprintf(tw, "  Last Applied Spec:\t%s\n", st.LastAppliedSpec)
	fmt.Fprintf(tw, "  Last Promoted Spec:\t%s\n", st.LastPromotedSpec)
	fmt.Fprintf(tw, "  Last Transition Time:\t%s\n", timestamp(st.LastTransitionTime))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Events:")
	tw = table(w)
	fmt.Fprintln(tw, "  TIME\tCOMMIT\tPHASE\tWEIGHT\tMESSAGE")
	for _, e := range events {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\n", timestamp(e.Time), e.SHA[:7], e.Phase, e.Weight, e.Message)
	}
	return tw.Flush()
}

func newHistoryCommand() *cobra.Command {
	var o readOptions
	cmd := &cobra.Command{
		Use:   "history NAME",
		Short: "One row per rollout of a canary: revision, start, duration, outcome, commits",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, events, err := o.events(cmd.Context(), cmd.ErrOrStderr(), args[0])
			if err != nil {
				return err
			}
			rollouts := reconciler.Rollouts(events)
			if o.output != "table" {
				return print(cmd.OutOrStdout(), o.output, rollouts)
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
