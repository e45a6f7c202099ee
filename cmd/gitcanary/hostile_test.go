package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
