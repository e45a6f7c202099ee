package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The hostile-input corpus: fixtures/hostile/<entry>/ holds one broken or
// hostile app (repo/) and what gitcanary must say about it (want.txt); the
// test puts the healthy app of fixtures/hostile/healthy next to it, so each
// repository holds one bad app and one good one. The format of want.txt is
// in fixtures/hostile/README.md.
const (
	corpusDir  = "../../fixtures/hostile"
	healthyDir = corpusDir + "/healthy"
	// healthyInit is the commit that shows the healthy canary was served.
	healthyInit = "Initialization done! podinfo.healthy"
	// corpusAddressSpace is the address-space limit (ulimit -v, KiB) of
	// each gitcanary process, the limit issue 14 saw an alias bomb break:
	// gitcanary reserves about 1.5 GiB of address space before it reads
	// anything (threads, heap arenas), an alias bomb or a huge file left
	// unbounded takes far more than the rest.
	corpusAddressSpace = 3 << 20
	// corpusTimeout bounds each gitcanary process: --render-timeout is 1m,
	// and a pass over two small apps takes about a second.
	corpusTimeout = 2 * time.Minute
)

// corpusEntry is a parsed want.txt.
type corpusEntry struct {
	name     string
	generate [][]string // path, recipe, args
	validate expectation
	run      expectation
	commits  []string // subjects beyond healthyInit
	writes   []string // path prefixes commits may touch beyond apps/healthy/
	never    []string // text that must appear in no output and no commit
}

// expectation is what one gitcanary command must do with the repository.
type expectation struct {
	exit  int
	flags []string
	want  []string // lines the output must contain
}

func TestHostileCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gitcanary and runs it on every corpus entry")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("the corpus needs the git CLI to make its repositories: ", err)
	}
	dirs, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	var entries []*corpusEntry
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "healthy" {
			continue
		}
		e, err := readEntry(filepath.Join(corpusDir, d.Name()))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	if len(entries) < 50 {
		t.Errorf("the corpus holds %d entries, want at least 50", len(entries))
	}
	bin := buildGitcanary(t)
	for _, e := range entries {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			e.check(t, bin)
		})
	}
}

// buildGitcanary builds the command once, as users get it.
func buildGitcanary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gitcanary")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func readEntry(dir string) (*corpusEntry, error) {
	f, err := os.Open(filepath.Join(dir, "want.txt"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	e := &corpusEntry{name: filepath.Base(dir), validate: expectation{exit: -1}, run: expectation{exit: -1}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		bad := fmt.Errorf("%s/want.txt: line %d: %q", dir, n, line)
		switch word {
		case "validate", "run":
			x := &e.validate
			if word == "run" {
				x = &e.run
			}
			fields := strings.Fields(rest)
			if len(fields) == 0 {
				return nil, fmt.Errorf("%w: want an exit code", bad)
			}
			if x.exit, err = strconv.Atoi(fields[0]); err != nil {
				return nil, fmt.Errorf("%w: %v", bad, err)
			}
			x.flags = fields[1:]
		case "validate:":
			e.validate.want = append(e.validate.want, rest)
		case "run:":
			e.run.want = append(e.run.want, rest)
		case "generate":
			e.generate = append(e.generate, strings.Fields(rest))
		case "commit":
			e.commits = append(e.commits, rest)
		case "writes":
			e.writes = append(e.writes, rest)
		case "never":
			e.never = append(e.never, rest)
		default:
			return nil, fmt.Errorf("%w: unknown directive %q", bad, word)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if e.validate.exit < 0 || e.run.exit < 0 {
		return nil, fmt.Errorf("%s/want.txt: says neither what validate nor what run must exit with", dir)
	}
	return e, nil
}

func (e *corpusEntry) check(t *testing.T, bin string) {
	dir := filepath.Join(t.TempDir(), "repo")
	for _, src := range []string{healthyDir, filepath.Join(corpusDir, e.name, "repo")} {
		if err := copyTree(dir, src); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range e.generate {
		if err := generate(dir, g); err != nil {
			t.Fatalf("generate %v: %v", g, err)
		}
	}

	out := e.validate.check(t, bin, append(append([]string{"validate"}, e.validate.flags...), dir))
	e.checkNever(t, "validate", out)

	remote := pushRepo(t, dir, "apps")
	runArgs := append([]string{"run", "--once", "--repo", "file://" + remote}, e.run.flags...)
	out = e.run.check(t, bin, runArgs)
	e.checkNever(t, "run", out)
	e.checkCommits(t, remote)
}

// check runs gitcanary with args and checks its exit code and output,
// which it returns.
func (x expectation) check(t *testing.T, bin string, args []string) string {
	t.Helper()
	out, code, took := boundedRun(t, bin, args)
	text := readable(out)
	if code != x.exit {
		t.Errorf("%s: exit code %d, want %d; output:\n%s", args[0], code, x.exit, text)
	}
	for _, w := range x.want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: output lacks %q; output:\n%s", args[0], w, text)
		}
	}
	for _, trace := range []string{"panic", "goroutine ", "fatal error", "internal error"} {
		if strings.Contains(text, trace) {
			t.Errorf("%s: output holds %q (a crash, not a message):\n%s", args[0], trace, text)
		}
	}
	t.Logf("%s: exit %d in %s:\n%s", args[0], code, took.Round(time.Millisecond), text)
	return text
}

// boundedRun runs gitcanary as a process under an address-space limit and
// a timeout, and returns its combined output, exit code and run time. (Its
// rusage's max RSS would not tell: a process started with vfork counts the
// test's own resident set as its high-water mark.)
func boundedRun(t *testing.T, bin string, args []string) ([]byte, int, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), corpusTimeout)
	defer cancel()
	script := fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, corpusAddressSpace)
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", script, bin}, args...)...)
	cmd.Env = append(os.Environ(), "GITHUB_TOKEN=", "GITCANARY_GIT_TOKEN=")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("gitcanary %s did not finish within %s:\n%s", strings.Join(args, " "), corpusTimeout, out.Bytes())
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.Bytes(), 0, took
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("gitcanary %s was killed by %s:\n%s", args[0], ws.Signal(), out.Bytes())
		}
		return out.Bytes(), exit.ExitCode(), took
	}
	t.Fatal(err)
	return nil, 0, 0
}

// readable turns run's JSON log lines into "msg: error" lines, so that
// expectations are written as users read errors; other lines are kept.
func readable(out []byte) string {
	var b strings.Builder
	for _, line := range strings.Split(string(out), "\n") {
		var entry struct {
			Msg   string `json:"msg"`
			Error string `json:"error"`
		}
		if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &entry) != nil {
			b.WriteString(line + "\n")
			continue
		}
		b.WriteString(entry.Msg)
		if entry.Error != "" {
			b.WriteString(": " + entry.Error)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (e *corpusEntry) checkNever(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range e.never {
		if strings.Contains(out, s) {
			t.Errorf("%s output holds %q:\n%s", what, s, out)
		}
	}
}

// checkCommits checks what run pushed: the healthy canary's initialization
// and the entry's commits, in no particular order, each touching only files
// it may, and nothing that must never be written.
func (e *corpusEntry) checkCommits(t *testing.T, remote string) {
	t.Helper()
	log := git(t, "", "--git-dir", remote, "log", "--format=%H %s", "main")
	lines := strings.Split(strings.TrimSpace(log), "\n")
	var got []string
	allowed := append([]string{"apps/healthy/"}, e.writes...)
	for _, l := range lines[:len(lines)-1] { // the last is the corpus commit
		sha, subject, _ := strings.Cut(l, " ")
		got = append(got, subject)
		files := git(t, "", "--git-dir", remote, "show", "--format=", "--name-only", sha)
		for _, f := range strings.Fields(files) {
			if !slices.ContainsFunc(allowed, func(p string) bool { return strings.HasPrefix(f, p) }) {
				t.Errorf("commit %q writes %s, outside %v", subject, f, allowed)
			}
		}
	}
	want := append([]string{healthyInit}, e.commits...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("run pushed %q, want %q", got, want)
	}
	if len(e.never) > 0 {
		// gitcanary's commits: all but the corpus commit.
		patches := git(t, "", "--git-dir", remote, "log", "-p", "main~"+strconv.Itoa(len(got))+"..main")
		e.checkNever(t, "the pushed commits", patches)
	}
}

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
