package ui

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gitcanary/gitcanary/reconciler"
)

// The pages: the overview, a canary, a rollout.

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	v, p, err := s.current(r.Context())
	if err != nil {
		s.fail(w, p, err)
		return
	}
	o := newOverview(v, r.URL.Query().Get("namespace"), r.URL.Query().Get("phase"))
	o.page = p
	o.Title = "Canaries"
	s.show(w, "overview", o)
}

// find returns the canary of the request's path and its commits.
func (s *Server) find(r *http.Request, v *view) (reconciler.CanaryInfo, []reconciler.Transition, error) {
	ns, name := r.PathValue("ns"), r.PathValue("name")
	// A canary in conflict with another comes with an error, and is shown
	// with the conflict noted.
	info, _ := reconciler.FindCanary(v.canaries, ns, name)
	if info.Canary == nil || info.Namespace != ns {
		return info, nil, fmt.Errorf("canary %s/%s: %w", ns, name, errNotFound)
	}
	events, err := v.transitions(r.Context(), s.repo, info.Canary.ID())
	return info, events, err
}

func (s *Server) canary(w http.ResponseWriter, r *http.Request) {
	v, p, err := s.current(r.Context())
	if err != nil {
		s.fail(w, p, err)
		return
	}
	info, events, err := s.find(r, v)
	if err != nil {
		s.fail(w, p, err)
		return
	}
	v.findImages(info)
	cp := canaryPage{page: p, Row: newCanaryRow(v, info), Spec: specSummary(info.Canary)}
	cp.Title = info.Name + "." + info.Namespace
	rollouts := reconciler.Rollouts(events)
	inRollout := map[string]bool{}
	for i := len(rollouts) - 1; i >= 0; i-- {
		ro := rollouts[i]
		steps := ro.Transitions(events)
		for _, e := range steps {
			inRollout[e.SHA] = true
		}
		cp.Rollouts = append(cp.Rollouts, newRolloutRow(info.Namespace, info.Name, ro, len(steps)))
	}
	if n := len(rollouts); n > 0 {
		cur, err := s.rolloutView(info, rollouts[n-1], events)
		if err != nil {
			s.fail(w, p, err)
			return
		}
		cp.Current = &cur
	}
	for _, e := range events {
		if !inRollout[e.SHA] {
			cp.Other = append(cp.Other, newStep(s.links, e))
		}
	}
	s.show(w, "canary", cp)
}

// findRollout returns the rollout of the request's path.
func (s *Server) findRollout(r *http.Request) (*found, page, error) {
	v, p, err := s.current(r.Context())
	if err != nil {
		return nil, p, err
	}
	info, events, err := s.find(r, v)
	if err != nil {
		return nil, p, err
	}
	first := r.PathValue("first")
	if len(first) >= 7 {
		for _, ro := range reconciler.Rollouts(events) {
			if strings.HasPrefix(ro.FirstSHA, first) {
				return &found{v, info, ro, events}, p, nil
			}
		}
	}
	return nil, p, fmt.Errorf("rollout %s of canary %s/%s: %w", first, info.Namespace, info.Name, errNotFound)
}

// found is the rollout a request names, in the view it was found in.
type found struct {
	v       *view
	info    reconciler.CanaryInfo
	rollout reconciler.Rollout
	events  []reconciler.Transition
}

func (s *Server) rollout(w http.ResponseWriter, r *http.Request) {
	f, p, err := s.findRollout(r)
	if err != nil {
		s.fail(w, p, err)
		return
	}
	v, info, ro, events := f.v, f.info, f.rollout, f.events
	rv, err := s.rolloutView(info, ro, events)
	if err != nil {
		s.fail(w, p, err)
		return
	}
	v.findImages(info)
	rp := rolloutPage{page: p, Row: newCanaryRow(v, info), Rollout: rv}
	rp.Title = fmt.Sprintf("%s.%s rollout %s", info.Name, info.Namespace, ro.Revision)
	s.show(w, "rollout", rp)
}
