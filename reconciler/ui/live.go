package ui

import (
	"fmt"
	"net/http"
	"time"
)

// keepAlive is how often an idle event stream gets a comment, so proxies
// keep it open.
const keepAlive = 15 * time.Second

// events streams server-sent events: "head" with the branch's head commit
// when the stream opens and each time it changes. Open pages re-read
// themselves on a head they have not shown (web/static/live.js).
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, "retry: 2000\n\n")
	sent := ""
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		v, _, changed, _ := s.state.get()
		if v != nil && v.head.String() != sent {
			sent = v.head.String()
			fmt.Fprintf(w, "event: head\ndata: %s\n\n", sent)
		}
		flusher.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-changed:
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		}
	}
}
