package notify

import (
	"context"
	"net/url"
	"path"
	"strings"
)

// slackPayload is Flagger's Slack message, also posted to Discord (through
// its Slack-compatible endpoint) and Rocket.Chat.
type slackPayload struct {
	Channel     string            `json:"channel"`
	Username    string            `json:"username"`
	IconURL     string            `json:"icon_url"`
	IconEmoji   string            `json:"icon_emoji"`
	Text        string            `json:"text,omitempty"`
	Attachments []slackAttachment `json:"attachments,omitempty"`
}

type slackAttachment struct {
	Color      string       `json:"color"`
	AuthorName string       `json:"author_name"`
	Text       string       `json:"text"`
	MrkdwnIn   []string     `json:"mrkdwn_in"`
	Fields     []slackField `json:"fields"`
}

type slackField struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// slack posts Flagger's Slack attachment: green ("good"), red ("danger")
// for errors.
type slack struct {
	poster
	channel, username string
}

func (s *slack) Post(ctx context.Context, m Message) error {
	return s.post(ctx, slackMessage(s.channel, s.username, m))
}

func slackMessage(channel, username string, m Message) slackPayload {
	color := "good"
	if m.Severity == SeverityError {
		color = "danger"
	}
	fields := make([]slackField, 0, len(m.Fields))
	for _, f := range m.Fields {
		fields = append(fields, slackField{Title: f.Name, Value: f.Value})
	}
	return slackPayload{
		Channel:   channel,
		Username:  username,
		IconEmoji: ":rocket:",
		Attachments: []slackAttachment{{
			Color:      color,
			AuthorName: m.Key(),
			Text:       m.Text,
			MrkdwnIn:   []string{"text"},
			Fields:     fields,
		}},
	}
}

// discordAddress points a Discord webhook at its Slack-compatible endpoint.
func discordAddress(address string) string {
	if strings.HasSuffix(address, "/slack") {
		return address
	}
	u, err := url.Parse(address)
	if err != nil {
		return address
	}
	u.Path = path.Join(u.Path, "slack")
	return u.String()
}
