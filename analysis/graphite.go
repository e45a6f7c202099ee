package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// graphiteType: Graphite's render API (GET <address>/render?<query>&format=json).
// The query is the URL query string, e.g. "target=summarize(...)&from=-1min".
// An optional Secret holds username and password for basic auth.
var graphiteType = providerType{
	name:            "graphite",
	addressRequired: true,
	keys:            []string{"username", "password"},
	sampling:        SampleRange,
	build: func(c providerConfig) (Querier, error) {
		base, err := c.baseURL("")
		if err != nil {
			return nil, err
		}
		return &graphite{c: c, base: base}, nil
	},
}

// graphite's value is the last non-null datapoint over all the targets
// of the answer, as in Flagger; none is ErrNoValuesFound.
type graphite struct {
	c    providerConfig
	base string
}

type graphiteSeries struct {
	Target     string           `json:"target"`
	Datapoints [][2]json.Number `json:"datapoints"`
}

func (g *graphite) datapoints(ctx context.Context, query string) ([]float64, error) {
	q, err := url.ParseQuery(strings.Join(strings.Fields(query), " "))
	if err != nil {
		return nil, fmt.Errorf("graphite query is not a URL query string: %w", err)
	}
	q.Set("format", "json")
	req, err := g.c.newRequest(ctx, http.MethodGet, g.base+"/render?"+q.Encode(), "")
	if err != nil {
		return nil, err
	}
	if g.c.SecretRef != nil {
		user, err := g.c.key("username")
		if err != nil {
			return nil, err
		}
		pass, err := g.c.key("password")
		if err != nil {
			return nil, err
		}
		req.SetBasicAuth(user, pass)
	}
	var series []graphiteSeries
	if err := sendJSON(g.c.client, req, &series); err != nil {
		return nil, err
	}
	var out []float64
	for _, s := range series {
		for _, p := range s.Datapoints {
			if p[0] == "" || p[0] == "null" {
				continue
			}
			v, err := strconv.ParseFloat(string(p[0]), 64)
			if err != nil {
				return nil, fmt.Errorf("graphite datapoint %q of %s is not a number", p[0], s.Target)
			}
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, ErrNoValuesFound
	}
	return out, nil
}

// Query implements Querier. Graphite's window is the query's own
// from/until; t is not used.
func (g *graphite) Query(ctx context.Context, query string, _ time.Time) (float64, error) {
	vs, err := g.datapoints(ctx, query)
	if err != nil {
		return 0, err
	}
	return vs[len(vs)-1], nil
}

// QueryRange implements RangeQuerier with the datapoints of the query's
// own window (write from=-{{ interval }} in the template).
func (g *graphite) QueryRange(ctx context.Context, query string, _, _ time.Time, _ time.Duration) ([]float64, error) {
	return g.datapoints(ctx, query)
}

// IsOnline renders a target that does not exist, as Flagger does: an
// empty answer is fine, an error is not.
func (g *graphite) IsOnline(ctx context.Context) error {
	_, err := g.datapoints(ctx, "target=test")
	if err != nil && !isNoValues(err) {
		return err
	}
	return nil
}
