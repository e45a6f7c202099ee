package ui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-logr/logr"

	"github.com/gitcanary/gitcanary/fixtures/gitserve"
	"github.com/gitcanary/gitcanary/gitops"
	"github.com/gitcanary/gitcanary/reconciler"
)

// twoRollouts is a world where 6.0.1 was promoted and 6.0.2 rolled back:
// one check passed at 100%, then 60% and 55% failed (threshold 2).
func twoRollouts(t *testing.T) *world {
	w := newWorld(t, nil)
	if got := w.rollout("6.0.1"); got != "Succeeded" {
		t.Fatalf("6.0.1 ended %s", got)
	}
	w.metrics(20, 100, 60, 55)
	if got := w.rollout("6.0.2"); got != "Failed" {
		t.Fatalf("6.0.2 ended %s", got)
	}
	return w
}

var areaTag = regexp.MustCompile(`<area shape="circle" coords="(\d+),(\d+),(\d+)" href="([^"]*)" title="([^"]*)" alt="[^"]*" data-value="([^"]*)" data-sha="([0-9a-f]{40})">`)

// plotOn returns the image map of the plot named name on a page, and the
// address of its SVG.
func plotOn(t *testing.T, page, name string) (src string, areas []area) {
	t.Helper()
	start := strings.Index(page, `<figure class="plot" data-plot="`+name+`">`)
	if start < 0 {
		t.Fatalf("no plot %q on the page", name)
	}
	fig := page[start : start+strings.Index(page[start:], "</figure>")]
	src = html.UnescapeString(regexp.MustCompile(`<img src="([^"]+)"`).FindStringSubmatch(fig)[1])
	for _, m := range areaTag.FindAllStringSubmatch(fig, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		areas = append(areas, area{X: x, Y: y, Title: html.UnescapeString(m[5]), Value: html.UnescapeString(m[6]), SHA: m[7]})
	}
	return src, areas
}

// TestPages runs the page tests on one world of two rollouts.
func TestPages(t *testing.T) {
	w := twoRollouts(t)
	t.Run("rollout plots", func(t *testing.T) { testRolloutPlots(t, w) })
	t.Run("overview and canary page", func(t *testing.T) { testOverviewAndCanaryPage(t, w) })
	t.Run("git token never shown", func(t *testing.T) { testGitTokenNeverShown(t, w) })
}

// testRolloutPlots: the rollout page plots one point per commit at the
// weight its trailer says, each point linked to its commit and drawn
// where the image map says; each metric's points are its values, on one
// scale, with the threshold line where that scale puts the threshold.
func testRolloutPlots(t *testing.T, w *world) {
	u := w.ui(DefaultOptions())
	commits := RolloutCommits(t, w.bare, "Bump podinfo to 6.0.2")
	if len(commits) != 6 {
		t.Fatalf("the failed rollout has %d commits, want 6: %v", len(commits), commits)
	}
	code, page := u.get(t, "/canaries/test/podinfo/rollouts/"+commits[0].SHA[:12])
	if code != http.StatusOK {
		t.Fatalf("rollout page: %d\n%s", code, page)
	}

	src, areas := plotOn(t, page, "canary weight")
	if len(areas) != len(commits) {
		t.Fatalf("%d weight points, want one per commit (%d)", len(areas), len(commits))
	}
	for i, c := range commits {
		if areas[i].SHA != c.SHA || areas[i].Value != c.Weight {
			t.Errorf("point %d: weight %s of %.7s, want %s of %.7s (%s)", i, areas[i].Value, areas[i].SHA, c.Weight, c.SHA, c.Subject)
		}
		if !strings.Contains(page, `id="c-`+c.SHA[:12]+`"`) {
			t.Errorf("no row for commit %.7s", c.SHA)
		}
	}
	checkPlot(t, u, src, areas, 0)

	src, areas = plotOn(t, page, "request-success-rate")
	var got []string
	for _, a := range areas {
		got = append(got, a.Value)
	}
	if want := "100.00% 60.00% 55.00%"; strings.Join(got, " ") != want {
		t.Errorf("success rate points %q, want %q", strings.Join(got, " "), want)
	}
	checkPlot(t, u, src, areas, 99)
	if _, areas := plotOn(t, page, "request-duration"); len(areas) != 3 || areas[0].Value != "20ms" {
		t.Errorf("request-duration points: %+v", areas)
	}
	for _, want := range []string{"2 of 2", "Rolling back podinfo.test failed checks threshold reached 2", "request-success-rate 60.00% &lt; 99%", "ghcr.io/stefanprodan/podinfo:6.0.2"} {
		if !strings.Contains(page, want) {
			t.Errorf("rollout page lacks %q", want)
		}
	}
}

// checkPlot fetches a plot's SVG and checks its image map against it
// (CheckPoints).
func checkPlot(t *testing.T, u *testUI, src string, areas []area, threshold float64) {
	t.Helper()
	resp, svg := u.fetch(t, src)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "image/svg+xml" {
		t.Fatalf("%s: %d %s", src, resp.StatusCode, ct)
	}
	var points []PlotPoint
	for _, a := range areas {
		points = append(points, PlotPoint{float64(a.X), float64(a.Y), a.Value})
	}
	if err := CheckPoints(svg, points, threshold); err != nil {
		t.Errorf("%s: %v", src, err)
	}
}

// testOverviewAndCanaryPage: the overview lists the canary with what Git
// says of it (filters included); its page lists both rollouts and the
// last one with its steps.
func testOverviewAndCanaryPage(t *testing.T, w *world) {
	u := w.ui(DefaultOptions())
	_, page := u.get(t, "/")
	row := page[strings.Index(page, `<tr data-canary="test/podinfo">`):]
	row = row[:strings.Index(row, "</tr>")]
	st := w.status()
	for _, want := range []string{">podinfo</a>", "<td>istio</td>", "phase-failed", "2/2", st.LastAppliedSpec,
		"ghcr.io/stefanprodan/podinfo:6.0.1" /* reverted */, `value="0"`} {
		if !strings.Contains(row, want) {
			t.Errorf("overview row lacks %q:\n%s", want, row)
		}
	}
	for query, n := range map[string]int{"?namespace=test": 1, "?namespace=prod": 0, "?phase=Failed": 1, "?phase=Succeeded": 0} {
		_, page := u.get(t, "/"+query)
		if got := strings.Count(page, `<tr data-canary=`); got != n {
			t.Errorf("%s lists %d canaries, want %d", query, got, n)
		}
	}

	_, page = u.get(t, "/canaries/test/podinfo")
	rollouts := page[strings.Index(page, `<section id="rollouts">`):]
	if got := regexp.MustCompile(`phase-(\w+)`).FindAllStringSubmatch(rollouts, -1); len(got) != 2 || got[0][1] != "failed" || got[1][1] != "succeeded" {
		t.Errorf("rollouts, newest first: %v", got)
	}
	for _, want := range []string{"Last rollout", "Halt podinfo.test advancement success rate 55.00% &lt; 99%", "Initialization done! podinfo.test"} {
		if !strings.Contains(page, want) {
			t.Errorf("canary page lacks %q", want)
		}
	}
}

// TestLive: a page's event stream names the new head within a refresh,
// and the re-read page shows the new commit: a manual request, with who
// asked, escaped.
func TestLive(t *testing.T) {
	w := newWorld(t, nil)
	u := w.ui(DefaultOptions())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", u.url+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events: %s", ct)
	}
	heads := make(chan string)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if h, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				heads <- h
			}
		}
	}()
	if h := <-heads; h != Git(t, w.bare, "rev-parse", "main") {
		t.Fatalf("first event %s, want the head", h)
	}

	requester, err := gitops.OpenRepo(ctx, gitops.RepoOptions{URL: w.bare, Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	defer requester.Close()
	who := gitops.Signature{Name: `Mallory <img src=x onerror=alert(1)>`, Email: "m@example.com"}
	sha, _, err := reconciler.SubmitRequest(ctx, requester, "test", "podinfo", "pause", who, "istio", w.now)
	if err != nil {
		t.Fatal(err)
	}
	go u.Watch(ctx)
	select {
	case h := <-heads:
		if h != sha.String() {
			t.Fatalf("event %s, want the request %s", h, sha)
		}
	case <-ctx.Done():
		t.Fatal("no event for the new head")
	}
	_, page := u.get(t, "/canaries/test/podinfo")
	if !strings.Contains(page, `id="c-`+sha.String()[:12]+`" data-sha="`+sha.String()+`" class="request"`) {
		t.Errorf("the request commit is not on the canary page")
	}
	if strings.Contains(page, "<img src=x") || !strings.Contains(page, "Mallory &lt;img src=x onerror=alert(1)&gt;") {
		t.Errorf("the requester's name is not escaped")
	}
}

func TestNotFoundAndReadOnly(t *testing.T) {
	w := newWorld(t, nil)
	u := w.ui(DefaultOptions())
	for path, want := range map[string]int{
		"/canaries/test/nope":                       404,
		"/canaries/test/podinfo/rollouts/0000000":   404,
		"/canaries/test/podinfo/rollouts/0000000/x": 404,
		"/nope":             404,
		"/static/style.css": 200,
	} {
		if code, _ := u.get(t, path); code != want {
			t.Errorf("GET %s: %d, want %d", path, code, want)
		}
	}
	for _, method := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		req, _ := http.NewRequest(method, u.url+"/canaries/test/podinfo", strings.NewReader("x"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d, want 405", method, resp.StatusCode)
		}
	}
	resp, err := http.Get(u.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy: %q", csp)
	}
}

func TestAuth(t *testing.T) {
	w := newWorld(t, nil)
	dir := t.TempDir()
	pw, tok := filepath.Join(dir, "password"), filepath.Join(dir, "token")
	os.WriteFile(pw, []byte("hunter2\n"), 0o600)
	os.WriteFile(tok, []byte("t0k3n\n"), 0o600)
	opts := DefaultOptions()
	opts.Auth = AuthOptions{Username: "ops", PasswordFile: pw, TokenFile: tok}
	u := w.ui(opts)
	tests := []struct {
		name string
		set  func(*http.Request)
		want int
	}{
		{"none", func(*http.Request) {}, 401},
		{"basic", func(r *http.Request) { r.SetBasicAuth("ops", "hunter2") }, 200},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth("ops", "hunter3") }, 401},
		{"wrong user", func(r *http.Request) { r.SetBasicAuth("dev", "hunter2") }, 401},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer t0k3n") }, 200},
		{"wrong bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer t0k3") }, 401},
	}
	for _, tt := range tests {
		for _, path := range []string{"/", "/canaries/test/podinfo", "/static/live.js"} {
			req, _ := http.NewRequest("GET", u.url+path, nil)
			tt.set(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s: %d, want %d", tt.name, path, resp.StatusCode, tt.want)
			}
			if resp.StatusCode == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("%s %s: WWW-Authenticate %q", tt.name, path, resp.Header.Get("WWW-Authenticate"))
			}
		}
	}
}

func TestAuthOptions(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	tests := []struct {
		name string
		opts AuthOptions
		env  string
		want string
	}{
		{"open", AuthOptions{}, "", ""},
		{"user without password", AuthOptions{Username: "ops"}, "", "--ui-username needs a password: set --ui-password-file or $GITCANARY_UI_PASSWORD"},
		{"password from env", AuthOptions{Username: "ops"}, "hunter2", ""},
		{"password file without user", AuthOptions{PasswordFile: empty}, "", "--ui-password-file: " + empty + " is empty"},
		{"missing file", AuthOptions{TokenFile: filepath.Join(dir, "nope")}, "", "--ui-token-file: open " + filepath.Join(dir, "nope") + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvPassword, tt.env)
			t.Setenv(EnvToken, "")
			o := DefaultOptions()
			o.Auth = tt.opts
			err := o.Validate()
			if got := fmt.Sprint(err); (err == nil && tt.want != "") || (err != nil && got != tt.want) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

// testGitTokenNeverShown: served from a remote whose URL holds a token,
// no page, plot or event shows the token; the header shows the URL
// without it.
func testGitTokenNeverShown(t *testing.T, w *world) {
	const token = "ghp_S3cr3tT0kenNeverShown"
	base, _ := gitserve.Start(t, filepath.Dir(w.bare), token)
	remote := base + "/" + filepath.Base(w.bare)
	u := strings.Replace(remote, "http://", "http://git:"+token+"@", 1)
	repo, err := gitops.OpenRepo(context.Background(), gitops.RepoOptions{URL: u, Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	s, err := New(repo, repo, DefaultOptions(), logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	tu := &testUI{Server: s, url: srv.URL}
	first := RolloutCommits(t, w.bare, "Bump podinfo to 6.0.2")[0].SHA[:12]
	_, overview := tu.get(t, "/")
	if shown := strings.Replace(remote, "http://", "http://redacted@", 1); !strings.Contains(overview, shown) {
		t.Errorf("the header does not name %s", shown)
	}
	page := "/canaries/test/podinfo/rollouts/" + first
	for _, path := range []string{"/", "/canaries/test/podinfo", page, page + "/weight.svg", page + "/metrics/request-success-rate.svg", "/nope"} {
		if _, body := tu.get(t, path); strings.Contains(body, token) {
			t.Errorf("%s shows the token", path)
		}
	}
}

// TestFetchError: a page asked for before the first fetch waits for it,
// and shows its error when it fails; a later success shows the canaries.
func TestFetchError(t *testing.T) {
	w := newWorld(t, nil)
	repo, err := gitops.OpenRepo(context.Background(), gitops.RepoOptions{URL: w.bare, Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	failing := true
	fetch := FetchFunc(func(ctx context.Context) (plumbing.Hash, error) {
		if failing {
			return plumbing.ZeroHash, errors.New("fetch main from https://redacted@git.example.com/config.git: connection refused")
		}
		return repo.Fetch(ctx)
	})
	s, err := New(repo, fetch, DefaultOptions(), logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	u := &testUI{Server: s, url: srv.URL}
	type answer struct {
		code int
		body string
	}
	got := make(chan answer, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", u.url+"/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- answer{0, err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- answer{resp.StatusCode, string(b)}
	}()
	time.Sleep(100 * time.Millisecond) // the request waits for the first fetch
	if err := s.refresh(context.Background()); err == nil {
		t.Fatal("the fetch did not fail")
	}
	if a := <-got; a.code != http.StatusInternalServerError || !strings.Contains(a.body, "connection refused") || !strings.Contains(a.body, `class="fetched bad"`) {
		t.Fatalf("GET / before a failed first fetch: %d\n%s", a.code, a.body)
	}
	failing = false
	u.refresh()
	if code, body := u.get(t, "/"); code != 200 || !strings.Contains(body, `<tr data-canary="test/podinfo">`) {
		t.Errorf("after a good fetch: %d", code)
	}
}
