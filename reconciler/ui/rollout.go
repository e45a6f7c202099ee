package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gitcanary/gitcanary/reconciler"
)

// cache keeps what a rollout's commits determine: its plots and the images
// it rolled out. Keys name the rollout's first and last commits, so an entry
// never goes stale; the cache is emptied when it grows past maxCached.
type cache struct {
	mu    sync.Mutex
	items map[string]any
}

const maxCached = 512

func newCache() *cache { return &cache{items: map[string]any{}} }

func (c *cache) get(key string, make func() (any, error)) (any, error) {
	c.mu.Lock()
	v, ok := c.items[key]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := make()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.items) >= maxCached {
		c.items = map[string]any{}
	}
	c.items[key] = v
	return v, nil
}

// figure draws (or finds) a plot of rollout ro.
func (s *Server) figure(ro reconciler.Rollout, plot string, draw func() (figure, error)) (figure, error) {
	v, err := s.cache.get(ro.FirstSHA+ro.LastSHA+" "+plot, func() (any, error) { return draw() })
	if err != nil {
		return figure{}, err
	}
	return v.(figure), nil
}

func (s *Server) weightFigure(info reconciler.CanaryInfo, ro reconciler.Rollout, steps []reconciler.Transition) (figure, error) {
	return s.figure(ro, "weight", func() (figure, error) {
		return render(weightChart(info.Canary.Key(), info.Canary.Spec.Analysis.Threshold, steps))
	})
}

func (s *Server) metricFigure(ro reconciler.Rollout, steps []reconciler.Transition, metric string) (figure, bool, error) {
	_, values := measurements(steps)
	ms, ok := values[metric]
	if !ok {
		return figure{}, false, nil
	}
	fig, err := s.figure(ro, "metric "+metric, func() (figure, error) {
		return render(metricChart(metric, ms, rolloutRange(steps)))
	})
	return fig, true, err
}

// rolloutImages are the target's images at the rollout's first commit:
// what it rolled out.
func (s *Server) rolloutImages(info reconciler.CanaryInfo, ro reconciler.Rollout) []string {
	v, err := s.cache.get(ro.FirstSHA+" images", func() (any, error) {
		snap, err := s.repo.Snapshot(plumbing.NewHash(ro.FirstSHA))
		if err != nil {
			return nil, err
		}
		infos, _ := reconciler.ListCanaries(snap, s.opts.Provider, s.now())
		then, err := reconciler.FindCanary(infos, info.Namespace, info.Name)
		if err != nil && then.Canary == nil {
			return []string(nil), nil
		}
		images, _ := reconciler.TargetImages(snap, s.opts.Provider, []reconciler.CanaryInfo{then}, nil)
		return images[then.Canary.ID()], nil
	})
	if err != nil {
		s.log.Error(err, "ui: images of a rollout", "commit", ro.FirstSHA)
		return nil
	}
	return v.([]string)
}

// rolloutView is a rollout as its page (and the canary page, for the
// current one) shows it.
func (s *Server) rolloutView(info reconciler.CanaryInfo, ro reconciler.Rollout, events []reconciler.Transition) (rolloutView, error) {
	steps := ro.Transitions(events)
	rv := rolloutView{
		rolloutRow: newRolloutRow(info.Namespace, info.Name, ro, len(steps)),
		Active:     ro.Outcome.Active(),
		Images:     s.rolloutImages(info, ro),
		Gates:      gates(s.links, steps),
	}
	for _, e := range steps {
		rv.Steps = append(rv.Steps, newStep(s.links, e))
	}
	base := rv.URL
	fig, err := s.weightFigure(info, ro, steps)
	if err != nil {
		return rv, err
	}
	rv.Weight = s.plotView("canary weight", base, "/weight.svg", "weight-"+ro.FirstSHA[:12], ro, fig)
	names, _ := measurements(steps)
	for _, name := range names {
		fig, _, err := s.metricFigure(ro, steps, name)
		if err != nil {
			return rv, err
		}
		rv.Metrics = append(rv.Metrics, s.plotView(name, base, "/metrics/"+url.PathEscape(name)+".svg", "metric-"+ro.FirstSHA[:12]+"-"+name, ro, fig))
	}
	return rv, nil
}

// plotView places a figure on a page: its address (which changes with the
// rollout's last commit) and its points, linked to their commits on the
// forge or to their rows on the page.
func (s *Server) plotView(name, base, file, mapName string, ro reconciler.Rollout, fig figure) plotView {
	pv := plotView{Name: name, Src: base + file + "?v=" + ro.LastSHA[:12], Width: fig.Width, Height: fig.Height, Map: mapName}
	for _, a := range fig.Areas {
		href := s.links.commit(a.SHA)
		if href == "" {
			href = base + "#c-" + a.SHA[:12]
		}
		pv.Areas = append(pv.Areas, areaView{area: a, Href: href})
	}
	return pv
}

// svgPolicy lets an SVG opened on its own use its inline styles, and
// nothing else.
const svgPolicy = "default-src 'none'; style-src 'unsafe-inline'"

func (s *Server) writeSVG(w http.ResponseWriter, fig figure) {
	w.Header().Set("Content-Security-Policy", svgPolicy)
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(fig.SVG)
}

func (s *Server) weightSVG(w http.ResponseWriter, r *http.Request) {
	f, p, err := s.findRollout(r)
	if err != nil {
		s.fail(w, p, err)
		return
	}
	fig, err := s.weightFigure(f.info, f.rollout, f.rollout.Transitions(f.events))
	if err != nil {
		s.fail(w, p, err)
		return
	}
	s.writeSVG(w, fig)
}

func (s *Server) metricSVG(w http.ResponseWriter, r *http.Request) {
	f, p, err := s.findRollout(r)
	if err != nil {
		s.fail(w, p, err)
		return
	}
	name, ok := strings.CutSuffix(r.PathValue("metric"), ".svg")
	fig, found, err := s.metricFigure(f.rollout, f.rollout.Transitions(f.events), name)
	switch {
	case err != nil:
		s.fail(w, p, err)
	case !ok || !found:
		s.fail(w, p, fmt.Errorf("metric %s of rollout %s: %w", name, f.rollout.FirstSHA[:12], errNotFound))
	default:
		s.writeSVG(w, fig)
	}
}
