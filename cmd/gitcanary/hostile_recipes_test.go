package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// How the hostile corpus's repositories are made: copied from
// fixtures/hostile, and the files too big to keep there generated from
// their recipes (want.txt's "generate" lines).

// copyTree copies the files, directories and symlinks (as they are, not
// followed) of src into dst.
func copyTree(dst, src string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, to)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o644)
	})
}

// appendFile appends data to the file at p, which may not exist yet.
func appendFile(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// generate writes a file too big to keep in the corpus from its recipe:
// g is the file's path in the repository, the recipe's name and its
// arguments.
func generate(dir string, g []string) error {
	if len(g) < 2 {
		return errors.New("want a path and a recipe")
	}
	p := filepath.Join(dir, filepath.FromSlash(g[0]))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	args := make([]int, 0, len(g)-2)
	for _, a := range g[2:] {
		n, err := strconv.Atoi(a)
		if err != nil {
			break // a text argument ends the numbers
		}
		args = append(args, n)
	}
	arg := func(i, def int) int {
		if i < len(args) {
			return args[i]
		}
		return def
	}
	var b bytes.Buffer
	switch g[1] {
	case "aliasbomb": // levels: a ConfigMap whose aliases expand to 10^levels strings
		n := arg(0, 9)
		b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n")
		b.WriteString("  a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "  a%d: &a%d [", i, i)
			for j := 0; j < 10; j++ {
				if j > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, "*a%d", i-1)
			}
			b.WriteString("]\n")
		}
	case "mapping": // keys, indent: that many keys appended to the file, at that indentation (under its last line)
		indent := strings.Repeat(" ", arg(1, 2))
		for i := 0; i < arg(0, 150000); i++ {
			fmt.Fprintf(&b, "%sk%d: v\n", indent, i)
		}
		return appendFile(p, b.Bytes())
	case "filler": // bytes: YAML comments appended to the file, that many bytes
		line := "# " + strings.Repeat("x", 1021) + "\n"
		for b.Len() < arg(0, 45<<20) {
			b.WriteString(line)
		}
		return appendFile(p, b.Bytes())
	case "sparse": // bytes: a file that large, all holes (costs no disk)
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		if err := f.Truncate(int64(arg(0, 3<<30))); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	case "nesting": // levels, indent: a key "deep" appended to the file, nesting that deep
		n := arg(0, 100000)
		b.WriteString(strings.Repeat(" ", arg(1, 0)) + "deep: ")
		b.WriteString(strings.Repeat("[", n))
		b.WriteString(strings.Repeat("]", n))
		b.WriteString("\n")
		return appendFile(p, b.Bytes())
	case "repeat": // count, text: the text that many times and a newline, appended to the file
		if len(g) != 4 {
			return errors.New("repeat wants a count and a text")
		}
		b.WriteString(strings.Repeat(g[3], arg(0, 1)))
		b.WriteString("\n")
		return appendFile(p, b.Bytes())
	case "documents": // count: that many empty documents appended to the file
		return appendFile(p, bytes.Repeat([]byte("---\n"), arg(0, 1000000)))
	default:
		return fmt.Errorf("unknown recipe %q", g[1])
	}
	return os.WriteFile(p, b.Bytes(), 0o644)
}
