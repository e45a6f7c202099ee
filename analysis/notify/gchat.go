package notify

import "context"

// gchatPayload is Flagger's Google Chat card.
type gchatPayload struct {
	Cards []gchatCard `json:"cards"`
}

type gchatCard struct {
	Header   gchatHeader    `json:"header"`
	Sections []gchatSection `json:"sections"`
}

type gchatHeader struct {
	Title    string `json:"title"`
	Subtitle string `json:"subtitle"`
}

type gchatSection struct {
	Widgets []gchatWidget `json:"widgets"`
}

type gchatWidget struct {
	TextParagraph gchatText `json:"textParagraph"`
}

type gchatText struct {
	Text string `json:"text"`
}

// gchat posts a card: the text, then one section per field.
type gchat struct {
	poster
	title string
}

func (g *gchat) Post(ctx context.Context, m Message) error {
	sections := make([]gchatSection, 0, 1+len(m.Fields))
	sections = append(sections, paragraph("<font color=#848484><strong>"+m.Text+"</strong></font>"))
	for _, f := range m.Fields {
		sections = append(sections, paragraph(f.Name+"<br><font color=#848484><strong>"+f.Value+"</strong></font>"))
	}
	return g.post(ctx, gchatPayload{Cards: []gchatCard{{
		Header:   gchatHeader{Title: g.title, Subtitle: m.Key()},
		Sections: sections,
	}}})
}

func paragraph(text string) gchatSection {
	return gchatSection{Widgets: []gchatWidget{{TextParagraph: gchatText{Text: text}}}}
}
