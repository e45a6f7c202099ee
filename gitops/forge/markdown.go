package forge

import (
	"fmt"
	"strings"
	"time"
)

// StepRow is one analysis step for [AnalysisTable].
type StepRow struct {
	// Weight is the canary weight during the step.
	Weight int
	// Time is when the step was analysed.
	Time time.Time
	// Metrics are the step's metric results; a metric missing from a row
	// shows as an empty cell.
	Metrics []MetricResult
}

// MetricResult is one metric's outcome in a [StepRow]. The strings are shown
// as given, so the caller formats units and comparisons, for example Value
// "99.87%", Threshold ">= 99%", Passed "✅" (or "❌", "no data").
type MetricResult struct {
	Name      string
	Value     string
	Threshold string
	Passed    string
}

// maxTableBytes keeps a table well inside GitHub's 65536-character limit for
// pull request bodies.
const maxTableBytes = 50000

// AnalysisTable renders rows as a markdown table: one line per step (number,
// time in UTC, weight) and one column per metric, in the order the metrics
// first appear. When the table would be too long for a pull request body,
// the oldest steps are left out and a note says how many. No rows give "".
func AnalysisTable(rows []StepRow) string {
	if len(rows) == 0 {
		return ""
	}
	var names []string
	seen := map[string]bool{}
	for _, r := range rows {
		for _, m := range r.Metrics {
			if !seen[m.Name] {
				seen[m.Name] = true
				names = append(names, m.Name)
			}
		}
	}
	var head strings.Builder
	head.WriteString("| Step | Time (UTC) | Weight |")
	for _, n := range names {
		head.WriteString(" " + cell(n) + " |")
	}
	head.WriteString("\n|---:|---|---:|" + strings.Repeat("---|", len(names)) + "\n")

	lines := make([]string, len(rows))
	for i, r := range rows {
		lines[i] = stepLine(i+1, r, names)
	}
	size, first := head.Len(), len(lines)
	for first > 0 && size+len(lines[first-1]) <= maxTableBytes {
		first--
		size += len(lines[first])
	}
	var b strings.Builder
	if first > 0 {
		fmt.Fprintf(&b, "_%d earlier steps not shown._\n\n", first)
	}
	b.WriteString(head.String())
	for _, l := range lines[first:] {
		b.WriteString(l)
	}
	return b.String()
}

func stepLine(n int, r StepRow, names []string) string {
	byName := make(map[string]MetricResult, len(r.Metrics))
	for _, m := range r.Metrics {
		byName[m.Name] = m
	}
	t := ""
	if !r.Time.IsZero() {
		t = r.Time.UTC().Format("2006-01-02 15:04:05")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| %d | %s | %d |", n, t, r.Weight)
	for _, name := range names {
		m, ok := byName[name]
		if !ok {
			b.WriteString("  |")
			continue
		}
		parts := make([]string, 0, 3)
		for _, s := range []string{m.Value, paren(m.Threshold), m.Passed} {
			if s != "" {
				parts = append(parts, s)
			}
		}
		b.WriteString(" " + cell(strings.Join(parts, " ")) + " |")
	}
	b.WriteString("\n")
	return b.String()
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

// cell escapes text for a markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\r\n", " ")
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}
