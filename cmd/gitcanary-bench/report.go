package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
)

func printTable(w io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "work\tcanaries\tcommits\tgitcanary\tpeak RSS\tgit CLI\tratio")
	for _, r := range rs {
		git, ratio := "—", "—"
		if r.Git > 0 {
			git, ratio = seconds(r.Git), fmt.Sprintf("%.2f×", r.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%.0f MiB\t%s\t%s\n", r.Work, r.Apps, r.Commits, seconds(r.Seconds), r.MiB, git, ratio)
	}
	tw.Flush()
}

func seconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.0f ms", s*1000)
	}
	return fmt.Sprintf("%.2f s", s)
}

// baselineKey names a result in the baseline file.
func baselineKey(r Result) string { return fmt.Sprintf("%s/%d/%d", r.Work, r.Apps, r.Commits) }

// baselineEntry is what the baseline keeps of a result: the ratio to the
// git CLI where there is one (machine-independent), else the time, and the
// memory.
type baselineEntry struct {
	Ratio   float64 `json:"ratio,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	MiB     float64 `json:"mib"`
}

func writeBaseline(path string, rs []Result) error {
	b := map[string]baselineEntry{}
	for _, r := range rs {
		e := baselineEntry{Ratio: r.Ratio, MiB: r.MiB}
		if r.Ratio == 0 {
			e.Seconds = r.Seconds
		}
		b[baselineKey(r)] = e
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// compare lists the results more than 20% worse than their baseline.
func compare(path string, rs []Result) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var b map[string]baselineEntry
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []string
	worse := func(now, was float64) bool { return was > 0 && now > was*1.2 }
	for _, r := range rs {
		e, ok := b[baselineKey(r)]
		if !ok {
			continue
		}
		switch {
		case e.Ratio > 0 && worse(r.Ratio, e.Ratio):
			out = append(out, fmt.Sprintf("%s: %.2f× the git CLI, baseline %.2f×", baselineKey(r), r.Ratio, e.Ratio))
		case e.Seconds > 0 && worse(r.Seconds, e.Seconds):
			out = append(out, fmt.Sprintf("%s: %s, baseline %s", baselineKey(r), seconds(r.Seconds), seconds(e.Seconds)))
		}
		if worse(r.MiB, e.MiB) {
			out = append(out, fmt.Sprintf("%s: %.0f MiB, baseline %.0f MiB", baselineKey(r), r.MiB, e.MiB))
		}
	}
	return out, nil
}
