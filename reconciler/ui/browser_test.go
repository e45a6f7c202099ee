package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-logr/logr/testr"

	"github.com/gitcanary/gitcanary/fixtures/demo"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler"
	"github.com/gitcanary/gitcanary/reconciler/ui"
)

var screenshot = flag.Bool("screenshot", false, "write the rollout page's screenshot to fixtures/ui/rollout.png (the README's)")

// TestBrowser runs the demo's three rollouts on the simulated cluster (the
// real reconciler, the Flux stand-in, the mesh, the embedded PromQL engine)
// with the UI serving its repository, and reads the pages in headless
// Chromium: the overview lists the canary; an open canary page shows new
// commits without a reload, during a rollout and after a manual request;
// the failed rollout's page plots one point per commit at its weight, the
// metric values on their scale with the threshold line, and the browser
// logs no error.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: the demo's rollouts in a real browser")
	}
	chromium := findChromium(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	bare := filepath.Join(dir, "config.git")
	demoDone := make(chan error, 1)
	go func() {
		_, err := demo.Run(ctx, demo.Options{Out: io.Discard, Dir: dir, Timeout: 90 * time.Second})
		demoDone <- err
	}()
	waitFor(t, 30*time.Second, "the demo's config repository", func() bool {
		_, err := os.Stat(filepath.Join(bare, "HEAD"))
		return err == nil
	})
	addr, stop, err := ui.ServeLoopback(ctx, bare, "main", testr.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	b := newBrowser(t, chromium)

	// The overview lists the canary once the demo initialized it.
	b.open(addr + "/")
	b.poll(`document.querySelector('tr[data-canary="test/podinfo"] .phase') !== null`, 60*time.Second)
	row := b.text(`tr[data-canary="test/podinfo"]`)
	for _, want := range []string{"test", "podinfo", "istio", "ghcr.io/stefanprodan/podinfo:"} {
		if !strings.Contains(row, want) {
			t.Errorf("overview row %q lacks %q", row, want)
		}
	}

	// An open canary page shows the rollout's new commits as they come.
	b.open(addr + "/canaries/test/podinfo")
	b.mark()
	before := b.shas()
	newSHA := b.poll(fmt.Sprintf(`[...document.querySelectorAll('tr[data-sha]')].map(r => r.dataset.sha).find(s => !%s.includes(s)) || false`, jsonOf(t, before)), 60*time.Second)
	if !b.marked() {
		t.Fatal("the page was reloaded")
	}
	if ui.Git(t, bare, "cat-file", "-t", newSHA) != "commit" {
		t.Errorf("the page shows %s, not a commit of the repository", newSHA)
	}
	t.Logf("live: commit %s appeared on the open page", newSHA[:7])

	if err := <-demoDone; err != nil {
		t.Fatalf("demo: %v", err)
	}

	// The failed rollout (6.0.2): one point per commit at its weight.
	commits := ui.RolloutCommits(t, bare, "Bump podinfo to 6.0.2")
	b.open(addr + "/canaries/test/podinfo/rollouts/" + commits[0].SHA[:12])
	b.poll(`[...document.images].every(i => i.complete && i.naturalWidth > 0)`, 20*time.Second)
	weight := b.plot(`canary weight`)
	if len(weight.Areas) != len(commits) {
		t.Fatalf("%d weight points, want one per commit of the rollout (%d)", len(weight.Areas), len(commits))
	}
	for i, c := range commits {
		if a := weight.Areas[i]; a.SHA != c.SHA || a.Value != c.Weight {
			t.Errorf("point %d: weight %s of %.7s, want %s of %.7s (%s)", i, a.Value, a.SHA, c.Weight, c.SHA, c.Subject)
		}
	}
	checkPlot(t, addr, weight, 0)
	rate := b.plot(`request-success-rate`)
	var failed int
	for _, a := range rate.Areas {
		if v := a.number(t); v < 99 {
			failed++
		}
	}
	if failed < 2 {
		t.Errorf("the success-rate plot shows %d values below 99%%, the rollout failed 2 checks: %+v", failed, rate.Areas)
	}
	checkPlot(t, addr, rate, 99)
	for _, want := range []string{"Rolling back podinfo.test failed checks threshold reached 2", "2 of 2"} {
		if !strings.Contains(b.text("main"), want) {
			t.Errorf("the rollout page lacks %q", want)
		}
	}
	shot := b.screenshot()
	out := filepath.Join(t.TempDir(), "rollout.png")
	if *screenshot {
		out = filepath.Join("..", "..", "fixtures", "ui", "rollout.png")
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", out)

	// A manual request shows up on the open canary page, without a reload.
	b.open(addr + "/canaries/test/podinfo")
	b.mark()
	requester, err := gitops.OpenRepo(ctx, gitops.RepoOptions{URL: bare, Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	defer requester.Close()
	sha, _, err := reconciler.SubmitRequest(ctx, requester, "test", "podinfo", "pause", gitops.Signature{Name: "Jane Doe", Email: "jane@example.com"}, "istio", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	b.poll(fmt.Sprintf(`document.querySelector('tr[data-sha=%q]') !== null`, sha.String()), 10*time.Second)
	if !b.marked() {
		t.Fatal("the page was reloaded")
	}
	if row := b.text(fmt.Sprintf(`tr[data-sha=%q]`, sha)); !strings.Contains(row, "Pause podinfo.test requested by Jane Doe") {
		t.Errorf("request row: %q", row)
	}
	t.Logf("live: the request %s appeared %s after its push", sha.String()[:7], time.Since(start).Round(100*time.Millisecond))

	if errs := b.errors(); len(errs) > 0 {
		t.Errorf("the browser logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// findChromium returns Debian's chromium; the test needs it and says how
// to install it, never skipping.
func findChromium(t *testing.T) string {
	for _, p := range []string{"chromium", "/usr/bin/chromium"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("the browser test needs Chromium: run .ci/ensure-test-deps.sh as root, or apt-get install chromium")
	return ""
}

// browser is one tab of a headless Chromium, and what its console logged.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []string
}

func newBrowser(t *testing.T, chromium string) *browser {
	t.Helper()
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancel)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	b := &browser{t: t, ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.console = append(b.console, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
			}
			b.mu.Unlock()
		}
	}()
	return b
}

func (b *browser) open(url string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(url)); err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
}

// poll waits until the expression is truthy and returns its value as text.
func (b *browser) poll(expr string, timeout time.Duration) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Poll[any](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		b.t.Fatalf("waiting for %s: %v", expr, err)
	}
	return fmt.Sprint(v)
}

func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[json.RawMessage](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	if err := json.Unmarshal(v, out); err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.eval(fmt.Sprintf(`document.querySelector(%q).innerText`, sel), &s)
	return s
}

// mark sets a variable that only lives until the page is reloaded.
func (b *browser) mark() {
	var ok bool
	b.eval(`window.gitcanaryTestMark = true`, &ok)
}

func (b *browser) marked() bool {
	var ok bool
	b.eval(`window.gitcanaryTestMark === true`, &ok)
	return ok
}

func (b *browser) shas() []string {
	var out []string
	b.eval(`[...document.querySelectorAll('tr[data-sha]')].map(r => r.dataset.sha)`, &out)
	return out
}

// shownPlot is a plot as the browser shows it: its image, its size on the
// page and the points of its image map.
type shownPlot struct {
	Src           string
	Width, Height int
	Areas         []shownArea
}

type shownArea struct {
	Coords string
	Value  string
	SHA    string
}

func (a shownArea) number(t *testing.T) float64 {
	v, err := strconv.ParseFloat(strings.TrimRight(a.Value, "%ms"), 64)
	if err != nil {
		t.Fatalf("point value %q: %v", a.Value, err)
	}
	return v
}

func (b *browser) plot(name string) shownPlot {
	b.t.Helper()
	var p shownPlot
	b.eval(fmt.Sprintf(`(() => {
		const f = document.querySelector('figure[data-plot=%q]');
		const img = f.querySelector('img');
		return {Src: img.getAttribute('src'), Width: img.naturalWidth, Height: img.naturalHeight,
			Areas: [...f.querySelectorAll('area')].map(a => ({Coords: a.coords, Value: a.dataset.value, SHA: a.dataset.sha}))};
	})()`, name), &p)
	return p
}

func (b *browser) screenshot() []byte {
	b.t.Helper()
	shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(shot)); err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	return shot
}

func (b *browser) errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.console)
}

// checkPlot reads the plot's SVG as the browser loaded it and checks the
// points of its image map against it (ui.CheckPoints).
func checkPlot(t *testing.T, addr string, p shownPlot, threshold float64) {
	t.Helper()
	resp, err := http.Get(addr + p.Src)
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var points []ui.PlotPoint
	for _, a := range p.Areas {
		var x, y, r float64
		if _, err := fmt.Sscanf(a.Coords, "%g,%g,%g", &x, &y, &r); err != nil {
			t.Fatalf("coords %q: %v", a.Coords, err)
		}
		points = append(points, ui.PlotPoint{X: x, Y: y, Value: a.Value})
	}
	if err := ui.CheckPoints(string(svg), points, threshold); err != nil {
		t.Errorf("%s: %v", p.Src, err)
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
