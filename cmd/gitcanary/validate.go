package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/spf13/cobra"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler"
)

// errNoCanaries is validate's error for a directory without Canaries.
var errNoCanaries = errors.New("no Canary documents found")

func newValidateCommand() *cobra.Command {
	provider := "istio"
	var strict, allowEmpty, noRemoteBases bool
	cmd := &cobra.Command{
		Use:   "validate [DIR]",
		Short: "Check every Canary and render every app of a checked-out config repository",
		Long: `Check a checked-out config repository as a pull-request pipeline would: every Canary
parses and is valid, no two canaries conflict, every app renders with its generated component,
each target exists, and webhooks, MetricTemplates and AlertProviders are found. Problems name
the file, the document and the field; the exit code is 1 when there is any, or when no Canary is
found (unless --allow-empty). Warnings name fields gitcanary ignores (unknown, or known but not
supported); --strict makes them problems.`,
		Args: cobra.MaximumNArgs(1),
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
					fmt.Fprintln(out, oneLine(p.Error()))
				}
				if len(remote) > 0 {
					return fmt.Errorf("%d kustomizations name remote resources (--no-remote-bases)", len(remote))
				}
			}
			var warnings []error
			problems, n, err := reconciler.Validate(dir, provider, reconciler.WithWarnings(func(w error) { warnings = append(warnings, w) }))
			if err != nil {
				return err
			}
			for _, p := range problems {
				fmt.Fprintln(out, oneLine(p.Error()))
			}
			for _, w := range warnings {
				if strict {
					fmt.Fprintln(out, oneLine(w.Error()))
				} else {
					fmt.Fprintln(out, "warning:", oneLine(w.Error()))
				}
			}
			if strict {
				problems = append(problems, warnings...)
			}
			switch {
			case len(problems) > 0 && n == 0:
				return fmt.Errorf("%s, no valid canary", plural(len(problems), "problem", "problems"))
			case len(problems) > 0:
				return fmt.Errorf("%s in %s", plural(len(problems), "problem", "problems"), plural(n, "canary", "canaries"))
			case n == 0 && !allowEmpty:
				return fmt.Errorf("%w in %s (--allow-empty accepts a repository without canaries)", errNoCanaries, dir)
			}
			fmt.Fprintf(out, "%s valid", plural(n, "canary", "canaries"))
			if len(warnings) > 0 {
				fmt.Fprintf(out, ", %s", plural(len(warnings), "warning", "warnings"))
			}
			fmt.Fprintln(out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&provider, "provider", provider, "mesh provider of canaries that do not set spec.provider")
	f.BoolVar(&strict, "strict", false, "treat warnings (unknown or unsupported Canary fields) as problems")
	f.BoolVar(&allowEmpty, "allow-empty", false, "succeed when the directory holds no Canary")
	f.BoolVar(&noRemoteBases, "no-remote-bases", false, "refuse kustomizations that name remote resources (git or http URLs), before rendering anything: for untrusted pull requests")
	return cmd
}

// oneLine shows a problem on one line of the output: control characters
// (a newline in a file name, as an error of kustomize's may quote it) are
// escaped, so no input can forge a line, such as a CI workflow command
// ("::error::").
func oneLine(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// plural is "1 canary" or "2 canaries".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
