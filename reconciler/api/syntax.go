package api

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
)

// yaml.v3 reports a syntax error at the line where the enclosing block or
// flow collection starts, not where the problem is ("line 2: did not find
// expected key" for a bad key on line 7 of the file). yaml.v2 runs the
// same libyaml parser and reports the offending token's line, so the line
// is taken from it: one more parse of the file, on the error path only.

// lineRe matches the "line N: " prefix of a go-yaml error.
var lineRe = regexp.MustCompile(`^line (\d+): `)

// parserProblems are libyaml's parser (not scanner) errors: go-yaml gives
// their line zero-based.
var parserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
	"found duplicate %TAG directive":         true,
}

// syntaxMessage is the text of a YAML syntax error err (from yaml.v3) in
// data, with the line of the file where the problem is.
func syntaxMessage(data []byte, err error) string {
	msg := trimYAML(err)
	problem := lineRe.ReplaceAllString(msg, "")
	line, ok := problemLine(data, problem)
	if !ok {
		return msg
	}
	return "line " + strconv.Itoa(line) + ": " + problem
}

// problemLine finds the first syntax error yaml.v2 sees in data and
// returns its one-based line when its problem is the same as yaml.v3's.
func problemLine(data []byte, problem string) (line int, ok bool) {
	defer func() {
		if recover() != nil { // an older parser on hostile input
			line, ok = 0, false
		}
	}()
	dec := yamlv2.NewDecoder(bytes.NewReader(data))
	for {
		// An empty struct skips every value: only the parse runs, no
		// alias is expanded.
		var skip struct{}
		err := dec.Decode(&skip)
		if errors.Is(err, io.EOF) {
			return 0, false
		}
		var te *yamlv2.TypeError
		if err == nil || errors.As(err, &te) {
			continue
		}
		m := lineRe.FindStringSubmatch(trimYAML(err))
		if m == nil || lineRe.ReplaceAllString(trimYAML(err), "") != problem {
			return 0, false
		}
		line, _ = strconv.Atoi(m[1])
		if parserProblems[problem] {
			line++
		}
		return line, true
	}
}

// trimYAML drops go-yaml's "yaml: " prefix.
func trimYAML(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}
