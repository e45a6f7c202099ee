package notify

import "context"

// GenericPayload is the JSON body of the generic provider, gitcanary's own
// shape for receivers written by hand.
type GenericPayload struct {
	Name      string         `json:"name"`
	Namespace string         `json:"namespace"`
	Target    string         `json:"target,omitempty"`
	Message   string         `json:"message"`
	Severity  Severity       `json:"severity"`
	Fields    []GenericField `json:"fields,omitempty"`
	Revision  string         `json:"revision,omitempty"`
}

// GenericField is one field of a GenericPayload.
type GenericField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type generic struct{ poster }

func (g *generic) Post(ctx context.Context, m Message) error {
	p := GenericPayload{
		Name:      m.Name,
		Namespace: m.Namespace,
		Target:    m.Target,
		Message:   m.Text,
		Severity:  m.Severity,
		Revision:  m.Revision,
	}
	for _, f := range m.Fields {
		p.Fields = append(p.Fields, GenericField(f))
	}
	return g.post(ctx, p)
}
