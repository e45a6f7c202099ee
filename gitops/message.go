package gitops

import (
	"strings"
)

// Trailer is one git trailer line ("Key: Value") of a commit message.
type Trailer struct {
	Key   string
	Value string
}

// FormatMessage builds a commit message: the subject, a blank line, the
// body lines (use "" for a paragraph break), a blank line and the trailers,
// so that `git interpret-trailers --parse` finds them. Newlines in the
// subject, trailer keys and values are folded into spaces; characters not
// allowed in a trailer key become "-". Body lines starting with "---" are
// indented by one space, as git would take them for the start of a patch.
func FormatMessage(subject string, body []string, trailers []Trailer) string {
	var b strings.Builder
	b.WriteString(oneLine(subject))
	b.WriteByte('\n')
	var lines []string
	for _, l := range body {
		for _, sub := range strings.Split(strings.ReplaceAll(l, "\r\n", "\n"), "\n") {
			sub = strings.TrimRight(sub, " \t\r")
			if strings.HasPrefix(sub, "---") {
				sub = " " + sub
			}
			lines = append(lines, sub)
		}
	}
	lines = trimBlank(lines)
	if len(lines) > 0 {
		b.WriteByte('\n')
		b.WriteString(strings.Join(lines, "\n"))
		b.WriteByte('\n')
	}
	if len(trailers) > 0 {
		b.WriteByte('\n')
		for _, t := range trailers {
			b.WriteString(trailerKey(t.Key))
			b.WriteString(": ")
			b.WriteString(oneLine(t.Value))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// ParseMessage splits a commit message into its subject (first line), body
// and trailers (the last paragraph, if every line of it is a trailer or a
// continuation line, and it is not the first paragraph).
func ParseMessage(msg string) (subject, body string, trailers []Trailer) {
	msg = strings.ReplaceAll(msg, "\r\n", "\n")
	lines := strings.Split(strings.TrimRight(msg, "\n \t"), "\n")
	subject = strings.TrimSpace(lines[0])
	rest := lines[1:]
	if n := len(rest); n > 0 {
		start := n
		for start > 0 && strings.TrimSpace(rest[start-1]) != "" {
			start--
		}
		// The trailer block must be separated from the subject by a blank line.
		if start > 0 {
			if t, ok := parseTrailers(rest[start:]); ok {
				trailers = t
				rest = rest[:start]
			}
		}
	}
	body = strings.Join(trimBlank(rest), "\n")
	return subject, body, trailers
}

// parseTrailers parses a paragraph made only of trailers and continuation
// lines (starting with whitespace).
func parseTrailers(lines []string) ([]Trailer, bool) {
	var out []Trailer
	for _, l := range lines {
		if l != "" && (l[0] == ' ' || l[0] == '\t') {
			if len(out) == 0 {
				return nil, false
			}
			last := &out[len(out)-1]
			last.Value = strings.TrimSpace(last.Value + " " + strings.TrimSpace(l))
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		k = strings.TrimRight(k, " \t")
		if !ok || !validTrailerKey(k) {
			return nil, false
		}
		out = append(out, Trailer{Key: k, Value: strings.TrimSpace(v)})
	}
	return out, len(out) > 0
}

func validTrailerKey(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range k {
		if !isKeyChar(c) {
			return false
		}
	}
	return true
}

func isKeyChar(c rune) bool {
	return c == '-' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// trailerKey makes k a valid trailer key.
func trailerKey(k string) string {
	k = strings.Map(func(c rune) rune {
		if isKeyChar(c) {
			return c
		}
		return '-'
	}, strings.TrimSpace(k))
	if k == "" {
		return "Trailer"
	}
	return k
}

// oneLine folds whitespace runs with newlines into single spaces and trims.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return strings.TrimSpace(s)
	}
	return strings.Join(strings.Fields(s), " ")
}

func trimBlank(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
