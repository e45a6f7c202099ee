package notify

import "context"

// teamsPayload is Flagger's Microsoft Teams MessageCard.
type teamsPayload struct {
	Type       string         `json:"@type"`
	Context    string         `json:"@context"`
	ThemeColor string         `json:"themeColor"`
	Summary    string         `json:"summary"`
	Sections   []teamsSection `json:"sections"`
}

type teamsSection struct {
	ActivityTitle    string      `json:"activityTitle"`
	ActivitySubtitle string      `json:"activitySubtitle"`
	Facts            []teamsFact `json:"facts"`
}

type teamsFact struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// teams posts a MessageCard: blue, red for errors.
type teams struct{ poster }

func (t *teams) Post(ctx context.Context, m Message) error {
	facts := make([]teamsFact, 0, len(m.Fields))
	for _, f := range m.Fields {
		facts = append(facts, teamsFact(f))
	}
	color := "0076D7"
	if m.Severity == SeverityError {
		color = "FF0000"
	}
	return t.post(ctx, teamsPayload{
		Type:       "MessageCard",
		Context:    "http://schema.org/extensions",
		ThemeColor: color,
		Summary:    m.Key(),
		Sections: []teamsSection{{
			ActivityTitle:    m.Text,
			ActivitySubtitle: m.Key(),
			Facts:            facts,
		}},
	})
}
