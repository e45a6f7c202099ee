package reconciler

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-logr/logr"
	"github.com/google/go-github/v60/github"
)

// maxHookBody bounds the body of a push event gitcanary reads.
const maxHookBody = 5 << 20

// pushHooks receives the Git host's push events and asks for a pass when
// the watched branch moved: a pass starts within a second instead of at the
// next --interval, and a burst of pushes makes one pass (kick never blocks:
// a pass already asked for absorbs the next requests).
type pushHooks struct {
	branch string
	secret []byte
	kick   func()
	log    logr.Logger
}

// register serves POST /hooks/github (GitHub push events, signed with
// X-Hub-Signature-256) and POST /hooks/git (GitLab, Gitea and others: the
// secret as a bearer token or in X-Gitlab-Token) on mux.
func (h *pushHooks) register(mux *http.ServeMux) {
	mux.HandleFunc("POST /hooks/github", h.github)
	mux.HandleFunc("POST /hooks/git", h.generic)
}

func (h *pushHooks) github(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxHookBody)
	if r.Header.Get(github.SHA256SignatureHeader) == "" {
		http.Error(w, "missing "+github.SHA256SignatureHeader, http.StatusUnauthorized)
		return
	}
	payload, err := github.ValidatePayload(r, h.secret)
	if err != nil {
		h.log.Info("push webhook refused: bad signature", "remote", r.RemoteAddr)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	switch typ := github.WebHookType(r); typ {
	case "ping":
		fmt.Fprintln(w, "pong")
		return
	case "push":
	default:
		http.Error(w, "ignored: a "+typ+" event", http.StatusOK)
		return
	}
	var ev github.PushEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		http.Error(w, "not a push event: "+err.Error(), http.StatusBadRequest)
		return
	}
	h.push(w, ev.GetRef())
}

func (h *pushHooks) generic(w http.ResponseWriter, r *http.Request) {
	token := r.Header.Get("X-Gitlab-Token")
	if auth := r.Header.Get("Authorization"); token == "" && strings.HasPrefix(auth, "Bearer ") {
		token = strings.TrimPrefix(auth, "Bearer ")
	}
	if token == "" || subtle.ConstantTimeCompare([]byte(token), h.secret) != 1 {
		h.log.Info("push webhook refused: bad token", "remote", r.RemoteAddr)
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	var ev struct {
		Ref string `json:"ref"` // GitLab, Gitea, Gogs, Bitbucket Server push events
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHookBody))
	if err == nil && len(body) > 0 {
		err = json.Unmarshal(body, &ev)
	}
	if err != nil {
		http.Error(w, "not a push event: "+err.Error(), http.StatusBadRequest)
		return
	}
	if ev.Ref == "" {
		// A bare "something changed": a pass costs one fetch.
		ev.Ref = "refs/heads/" + h.branch
	}
	h.push(w, ev.Ref)
}

// push asks for a pass when ref is the watched branch.
func (h *pushHooks) push(w http.ResponseWriter, ref string) {
	if ref != "refs/heads/"+h.branch {
		http.Error(w, "ignored: a push to "+ref, http.StatusOK)
		return
	}
	h.kick()
	h.log.V(1).Info("push webhook: pass requested", "ref", ref)
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintln(w, "pass requested")
}
