package notify_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis/notify"
)

var failure = notify.Message{
	Name: "podinfo", Namespace: "test", Target: "Deployment/podinfo.test",
	Text:     "Failed checks threshold reached 5",
	Severity: notify.SeverityError,
	Fields:   []notify.Field{{Name: "Reason", Value: "Halt podinfo.test advancement success rate 69.17% < 99%"}},
	Revision: "5f1c2e9a",
}

var started = notify.Message{
	Name: "podinfo", Namespace: "test", Target: "Deployment/podinfo.test",
	Text:     "New revision detected, progressing canary analysis.",
	Severity: notify.SeverityInfo,
	Fields: []notify.Field{
		{Name: "Target", Value: "Deployment/podinfo.test"},
		{Name: "Traffic routing", Value: "Weight step: 5 max: 50"},
	},
}

// TestProviderPayloads asserts the exact body each provider type posts.
func TestProviderPayloads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ, path, token, channel, username string
		msg                                 notify.Message
		wantPath, wantAuth, want            string
	}{
		{typ: "slack", path: "/services/T0/B0/XXXX", channel: "on-call", username: "flagger", msg: failure,
			wantPath: "/services/T0/B0/XXXX",
			want:     `{"channel":"on-call","username":"flagger","icon_url":"","icon_emoji":":rocket:","attachments":[{"color":"danger","author_name":"podinfo.test","text":"Failed checks threshold reached 5","mrkdwn_in":["text"],"fields":[{"title":"Reason","value":"Halt podinfo.test advancement success rate 69.17% \u003c 99%","short":false}]}]}`},
		{typ: "slack", path: "/api/chat.postMessage", token: "xoxb-secret", msg: started,
			wantPath: "/api/chat.postMessage", wantAuth: "Bearer xoxb-secret",
			want: `{"channel":"general","username":"gitcanary","icon_url":"","icon_emoji":":rocket:","attachments":[{"color":"good","author_name":"podinfo.test","text":"New revision detected, progressing canary analysis.","mrkdwn_in":["text"],"fields":[{"title":"Target","value":"Deployment/podinfo.test","short":false},{"title":"Traffic routing","value":"Weight step: 5 max: 50","short":false}]}]}`},
		{typ: "discord", path: "/api/webhooks/1/abc", msg: started, wantPath: "/api/webhooks/1/abc/slack",
			want: `{"channel":"general","username":"gitcanary","icon_url":"","icon_emoji":":rocket:","attachments":[{"color":"good","author_name":"podinfo.test","text":"New revision detected, progressing canary analysis.","mrkdwn_in":["text"],"fields":[{"title":"Target","value":"Deployment/podinfo.test","short":false},{"title":"Traffic routing","value":"Weight step: 5 max: 50","short":false}]}]}`},
		{typ: "discord", path: "/api/webhooks/1/abc/slack", msg: notify.Message{Name: "a", Namespace: "b", Text: "x", Severity: notify.SeverityWarn},
			wantPath: "/api/webhooks/1/abc/slack",
			want:     `{"channel":"general","username":"gitcanary","icon_url":"","icon_emoji":":rocket:","attachments":[{"color":"good","author_name":"a.b","text":"x","mrkdwn_in":["text"],"fields":[]}]}`},
		{typ: "rocket", path: "/hooks/abc", channel: "deploys", msg: failure, wantPath: "/hooks/abc",
			want: `{"channel":"deploys","username":"gitcanary","icon_url":"","icon_emoji":":rocket:","attachments":[{"color":"danger","author_name":"podinfo.test","text":"Failed checks threshold reached 5","mrkdwn_in":["text"],"fields":[{"title":"Reason","value":"Halt podinfo.test advancement success rate 69.17% \u003c 99%","short":false}]}]}`},
		{typ: "msteams", path: "/webhookb2/abc", msg: failure, wantPath: "/webhookb2/abc",
			want: `{"@type":"MessageCard","@context":"http://schema.org/extensions","themeColor":"FF0000","summary":"podinfo.test","sections":[{"activityTitle":"Failed checks threshold reached 5","activitySubtitle":"podinfo.test","facts":[{"name":"Reason","value":"Halt podinfo.test advancement success rate 69.17% \u003c 99%"}]}]}`},
		{typ: "msteams", path: "/webhookb2/abc", msg: started, wantPath: "/webhookb2/abc",
			want: `{"@type":"MessageCard","@context":"http://schema.org/extensions","themeColor":"0076D7","summary":"podinfo.test","sections":[{"activityTitle":"New revision detected, progressing canary analysis.","activitySubtitle":"podinfo.test","facts":[{"name":"Target","value":"Deployment/podinfo.test"},{"name":"Traffic routing","value":"Weight step: 5 max: 50"}]}]}`},
		{typ: "gchat", path: "/v1/spaces/AAA/messages", msg: failure, wantPath: "/v1/spaces/AAA/messages",
			want: `{"cards":[{"header":{"title":"gitcanary","subtitle":"podinfo.test"},"sections":[{"widgets":[{"textParagraph":{"text":"\u003cfont color=#848484\u003e\u003cstrong\u003eFailed checks threshold reached 5\u003c/strong\u003e\u003c/font\u003e"}}]},{"widgets":[{"textParagraph":{"text":"Reason\u003cbr\u003e\u003cfont color=#848484\u003e\u003cstrong\u003eHalt podinfo.test advancement success rate 69.17% \u003c 99%\u003c/strong\u003e\u003c/font\u003e"}}]}]}]}`},
		{typ: "generic", path: "/hook", msg: failure, wantPath: "/hook",
			want: `{"name":"podinfo","namespace":"test","target":"Deployment/podinfo.test","message":"Failed checks threshold reached 5","severity":"error","fields":[{"name":"Reason","value":"Halt podinfo.test advancement success rate 69.17% \u003c 99%"}],"revision":"5f1c2e9a"}`},
	}
	for _, tt := range tests {
		t.Run(tt.typ+tt.path, func(t *testing.T) {
			t.Parallel()
			s := newSink(t, http.StatusOK)
			n, err := notify.NewNotifier(notify.Config{Type: tt.typ, Address: s.URL + tt.path, Token: tt.token, Channel: tt.channel, Username: tt.username})
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Post(context.Background(), tt.msg); err != nil {
				t.Fatal(err)
			}
			got := s.requests()
			if len(got) != 1 {
				t.Fatalf("got %d requests", len(got))
			}
			if got[0].Path != tt.wantPath || got[0].Auth != tt.wantAuth || got[0].ContentType != "application/json" {
				t.Errorf("path %q auth %q type %q, want %q %q application/json", got[0].Path, got[0].Auth, got[0].ContentType, tt.wantPath, tt.wantAuth)
			}
			if got[0].Body != tt.want {
				t.Errorf("body\n got %s\nwant %s", got[0].Body, tt.want)
			}
		})
	}
}

// TestProviderErrorsHideSecrets checks that no error carries the webhook
// path, the token or the address, whatever goes wrong.
func TestProviderErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	const secretPath = "/services/T0SECRET/B0SECRET/XXXXSECRET"
	const token = "xoxb-TOKENSECRET"
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL
	refused.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client going away
		<-r.Context().Done()
	}))
	t.Cleanup(slow.Close)
	bad := newSink(t, http.StatusForbidden)

	tests := []struct {
		name, address, proxy string
		timeout              time.Duration
		want                 string // exact error, with the sink's host
		wantIs               error
	}{
		{name: "status", address: bad.URL + secretPath, want: "post to " + bad.URL + "/***: status 403: no_service for ***"},
		{name: "refused", address: refusedURL + secretPath},
		{name: "timeout", address: slow.URL + secretPath, timeout: 50 * time.Millisecond, wantIs: context.DeadlineExceeded,
			want: "post to " + slow.URL + "/***: context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, err := notify.NewNotifier(notify.Config{Type: "slack", Address: tt.address, Token: token})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			err = n.Post(ctx, failure)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, secret := range []string{"SECRET", token, tt.address} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error %q leaks %q", err, secret)
				}
			}
			if tt.want != "" && err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
		})
	}

	for _, cfg := range []notify.Config{
		{Type: "slack", Address: "hooks.slack.com" + secretPath},
		{Type: "slack", Address: "https://hooks.slack.com" + secretPath + "%zz"},
		{Type: "msteams", Address: "https://x.test/SECRET", Proxy: "http://user:SECRET@%zz"},
	} {
		_, err := notify.NewNotifier(cfg)
		if err == nil || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("config %s: error %v (want one without secrets)", cfg.Type, err)
		}
	}
	if _, err := notify.NewNotifier(notify.Config{Type: "pagerduty", Address: "https://x.test/"}); err == nil {
		t.Error("unknown type: want an error")
	}
}

func TestProviderProxy(t *testing.T) {
	t.Parallel()
	// The "proxy" receives the request for the provider's address.
	proxy := newSink(t, http.StatusOK)
	n, err := notify.NewNotifier(notify.Config{Type: "generic", Address: "http://chat.invalid/hook", Proxy: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Post(context.Background(), started); err != nil {
		t.Fatal(err)
	}
	if got := proxy.requests(); len(got) != 1 || got[0].Path != "/hook" {
		t.Fatalf("proxy got %+v", got)
	}
}
