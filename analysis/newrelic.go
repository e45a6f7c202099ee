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

// New Relic: NRQL through NerdGraph (https://api.newrelic.com/graphql) with
// a user API key, or through the older Insights query API with a query
// key, as Flagger does.
const (
	newrelicInsightsAddress = "https://insights-api.newrelic.com"
	newrelicGraphAddress    = "https://api.newrelic.com/graphql"
	newrelicAccountID       = "newrelic_account_id"
	newrelicQueryKey        = "newrelic_query_key"
	newrelicAPIKey          = "newrelic_api_key"
	nerdGraphQuery          = `query ($query: Nrql!) { actor { account(id: %d) { nrql(query: $query) { results } } } }`
	nerdGraphPing           = `{ actor { user { name } } }`
	insightsPing            = "SELECT * FROM Metric"
)

// newrelicType: the Secret holds newrelic_account_id and either
// newrelic_api_key (NerdGraph) or newrelic_query_key (Insights). The NRQL
// query gets "SINCE <interval> seconds ago" appended, as in Flagger, or an
// absolute SINCE/UNTIL window for a past sample. The value is the first
// number of the first result; no result, or a null one, is
// ErrNoValuesFound.
var newrelicType = providerType{
	name:           "newrelic",
	keys:           []string{newrelicAccountID, newrelicAPIKey, newrelicQueryKey},
	secretRequired: true,
	sampling:       SampleWindows,
	build: func(c providerConfig) (Querier, error) {
		return &newrelic{c: c}, nil
	},
}

type newrelic struct{ c providerConfig }

// Query implements Querier.
func (n *newrelic) Query(ctx context.Context, query string, t time.Time) (float64, error) {
	nrql := strings.TrimSpace(query)
	if t.IsZero() {
		nrql += fmt.Sprintf(" SINCE %d seconds ago", int64(n.c.interval.Seconds()))
	} else {
		nrql += fmt.Sprintf(" SINCE %d UNTIL %d", t.Add(-n.c.interval).UnixMilli(), t.UnixMilli())
	}
	results, err := n.run(ctx, nrql)
	if err != nil {
		return 0, err
	}
	return firstNumber(results)
}

// IsOnline runs Flagger's probe: a user query on NerdGraph, a query of the
// Metric table on Insights.
func (n *newrelic) IsOnline(ctx context.Context) error {
	_, err := n.run(ctx, "")
	return err
}

// run sends NRQL (empty: the online probe) and returns the results array.
func (n *newrelic) run(ctx context.Context, nrql string) ([]json.RawMessage, error) {
	account, err := n.c.key(newrelicAccountID)
	if err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(account, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%s is not a number", newrelicAccountID)
	}
	apiKey, graph, err := n.c.optionalKey(newrelicAPIKey)
	if err != nil {
		return nil, err
	}
	if graph {
		return n.nerdGraph(ctx, id, apiKey, nrql)
	}
	queryKey, err := n.c.key(newrelicQueryKey)
	if err != nil {
		return nil, fmt.Errorf("%w (or %s for NerdGraph)", err, newrelicAPIKey)
	}
	return n.insights(ctx, id, queryKey, nrql)
}

func (n *newrelic) insights(ctx context.Context, id int64, key, nrql string) ([]json.RawMessage, error) {
	base, err := n.c.baseURL(newrelicInsightsAddress)
	if err != nil {
		return nil, err
	}
	if nrql == "" {
		nrql = insightsPing + fmt.Sprintf(" SINCE %d seconds ago", int64(n.c.interval.Seconds()))
	}
	u := fmt.Sprintf("%s/v1/accounts/%d/query?%s", base, id, url.Values{"nrql": {nrql}}.Encode())
	req, err := n.c.newRequest(ctx, http.MethodGet, u, "")
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Query-Key", key)
	req.Header.Set("Accept", "application/json")
	var a struct {
		Results []json.RawMessage `json:"results"`
		Error   string            `json:"error"`
	}
	if err := sendJSON(n.c.client, req, &a); err != nil {
		return nil, err
	}
	if a.Error != "" {
		return nil, fmt.Errorf("new relic query error: %s", a.Error)
	}
	return a.Results, nil
}

func (n *newrelic) nerdGraph(ctx context.Context, id int64, key, nrql string) ([]json.RawMessage, error) {
	base, err := n.c.baseURL(newrelicGraphAddress)
	if err != nil {
		return nil, err
	}
	payload := map[string]any{"query": nerdGraphPing}
	if nrql != "" {
		payload = map[string]any{"query": fmt.Sprintf(nerdGraphQuery, id), "variables": map[string]string{"query": nrql}}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	req, err := n.c.newRequest(ctx, http.MethodPost, base, string(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("API-Key", key)
	req.Header.Set("Content-Type", "application/json")
	var a struct {
		Data struct {
			Actor struct {
				Account struct {
					NRQL struct {
						Results []json.RawMessage `json:"results"`
					} `json:"nrql"`
				} `json:"account"`
			} `json:"actor"`
		} `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := sendJSON(n.c.client, req, &a); err != nil {
		return nil, err
	}
	if len(a.Errors) > 0 {
		return nil, fmt.Errorf("nerdgraph query failed: %s", a.Errors[0].Message)
	}
	return a.Data.Actor.Account.NRQL.Results, nil
}

// firstNumber returns the first numeric field of the first result.
func firstNumber(results []json.RawMessage) (float64, error) {
	if len(results) == 0 {
		return 0, fmt.Errorf("no results: %w", ErrNoValuesFound)
	}
	dec := json.NewDecoder(strings.NewReader(string(results[0])))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil {
		return 0, fmt.Errorf("result is not an object: %s", clip(string(results[0])))
	}
	// A result object has a field per NRQL function; keep the answer's
	// order by walking the raw JSON keys.
	for _, k := range objectKeys(results[0]) {
		if num, ok := fields[k].(json.Number); ok {
			return num.Float64()
		}
	}
	return 0, fmt.Errorf("result %s has no number: %w", clip(string(results[0])), ErrNoValuesFound)
}

// objectKeys returns the keys of a JSON object in the order written.
func objectKeys(raw json.RawMessage) []string {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}
