// Command gitcanary-bench measures gitcanary on generated config monorepos
// (fixtures/monorepo) next to the git CLI doing the same Git work, on the
// same repository and machine, in one run, and compares the ratios with a
// committed baseline: `make bench`.
//
// Each gitcanary measurement runs in a child process (this binary again),
// so its peak resident memory is the process's own.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"os/signal"
	"strings"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		if err := child(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "gitcanary-bench child:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gitcanary-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("gitcanary-bench", flag.ContinueOnError)
	apps := fs.Int("apps", 1000, "canaries (apps) in the monorepo")
	commits := fs.Int("commits", 20000, "commits of its history")
	steps := fs.Int("step-canaries", 100, "canaries CI bumps before the step pass")
	growth := fs.Bool("growth", false, "also measure how the figures grow: 100/1,000/5,000 canaries, 2k/20k/200k commits")
	helm := fs.Bool("helm", true, fmt.Sprintf("also measure a monorepo of the first size whose apps are %d%% HelmReleases: its first pass, and a step pass over -step-canaries of them (a values bump)", helmPercent))
	baseline := fs.String("baseline", "", "JSON file of ratios to compare with: a ratio more than 20% above its baseline fails")
	update := fs.Bool("update", false, "write the ratios measured to -baseline")
	asJSON := fs.String("json", "", "also write the results as JSON to this file")
	dir := fs.String("dir", "", "work directory (default: a temporary one, removed)")
	results := fs.String("results", "", "do not measure: read the results of an earlier run's -json file (to compare them or -update the baseline with them)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var all []Result
	if *results != "" {
		data, err := os.ReadFile(*results)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &all); err != nil {
			return fmt.Errorf("%s: %w", *results, err)
		}
	} else {
		var err error
		if all, err = measureAll(ctx, *dir, *apps, *commits, *steps, *growth, *helm); err != nil {
			return err
		}
	}
	printTable(out, all)
	if *asJSON != "" {
		b, _ := json.MarshalIndent(all, "", "  ")
		if err := os.WriteFile(*asJSON, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if *baseline == "" {
		return nil
	}
	if *update {
		return writeBaseline(*baseline, all)
	}
	regressions, err := compare(*baseline, all)
	if errors.Is(err, iofs.ErrNotExist) {
		fmt.Fprintf(out, "\nno baseline at %s yet: -update records this run as one\n", *baseline)
		return nil
	}
	if err != nil {
		return err
	}
	if len(regressions) > 0 {
		return errors.New("regressions against " + *baseline + ":\n  " + strings.Join(regressions, "\n  "))
	}
	fmt.Fprintf(out, "\nno regression against %s (a ratio more than 20%% above its baseline fails)\n", *baseline)
	return nil
}

// measureAll measures every size asked for in the work directory dir (a
// temporary one, removed, when empty), and with helm the Helm figures of the
// first size.
func measureAll(ctx context.Context, dir string, apps, commits, steps int, growth, helm bool) ([]Result, error) {
	work := dir
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "gitcanary-bench-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(work)
	}
	sizes := []size{{Apps: apps, Commits: commits}}
	if growth {
		sizes = append(sizes,
			size{Apps: 100, Commits: commits}, size{Apps: 5000, Commits: commits},
			size{Apps: apps, Commits: 2000}, size{Apps: apps, Commits: 200000})
	}
	var all []Result
	for i, s := range sizes {
		fmt.Fprintf(os.Stderr, "measuring %d canaries, %d commits...\n", s.Apps, s.Commits)
		res, err := measure(ctx, fmt.Sprintf("%s/%d", work, i), s, min(steps, s.Apps))
		if err != nil {
			return nil, fmt.Errorf("%d canaries, %d commits: %w", s.Apps, s.Commits, err)
		}
		all = append(all, res...)
		if i == 0 && helm {
			fmt.Fprintf(os.Stderr, "measuring %d canaries (%d%% HelmReleases), %d commits...\n", s.Apps, helmPercent, s.Commits)
			res, err := measureHelm(ctx, fmt.Sprintf("%s/helm", work), s, steps)
			if err != nil {
				return nil, fmt.Errorf("%d canaries (%d%% HelmReleases), %d commits: %w", s.Apps, helmPercent, s.Commits, err)
			}
			all = append(all, res...)
		}
	}
	return all, nil
}
