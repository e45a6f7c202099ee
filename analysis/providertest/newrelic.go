package providertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"testing"
)

// NewRelic is a stand-in of New Relic's NerdGraph API
// (https://docs.newrelic.com/docs/apis/nerdgraph/examples/nerdgraph-nrql-tutorial/):
// POST /graphql with the user key in API-Key and the GraphQL query
// actor.account(id).nrql(query) answers the NRQL query's results, one
// {"value": v} object per value; the ping { actor { user { name } } }
// answers a user. As NerdGraph does, errors come with status 200 in
// {"errors":[{"message": ...}]}.
type NewRelic struct{ *server }

var nerdGraphAccount = regexp.MustCompile(`account\(id: (\d+)\)`)

// NewNewRelic starts a New Relic stand-in for the account, accepting the
// user key; it stops when the test ends.
func NewNewRelic(t testing.TB, account int64, apiKey string) *NewRelic {
	n := &NewRelic{}
	n.server = start(t, func(w http.ResponseWriter, r *http.Request, body []byte) string {
		if r.Method != http.MethodPost || r.URL.Path != "/graphql" {
			writeJSON(w, http.StatusNotFound, map[string]any{"errors": []map[string]string{{"message": "Not Found"}}})
			return ""
		}
		if r.Header.Get("API-Key") != apiKey {
			writeJSON(w, http.StatusOK, graphErrors("Invalid API key"))
			return ""
		}
		var req struct {
			Query     string            `json:"query"`
			Variables map[string]string `json:"variables"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			writeJSON(w, http.StatusBadRequest, graphErrors("Unexpected end of JSON input"))
			return ""
		}
		if m := nerdGraphAccount.FindStringSubmatch(req.Query); m == nil {
			writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"actor": map[string]any{"user": map[string]string{"name": "gitcanary"}}}})
			return ""
		} else if m[1] != fmt.Sprint(account) {
			writeJSON(w, http.StatusOK, graphErrors("Account "+m[1]+" not found"))
			return ""
		}
		nrql := req.Variables["query"]
		results := []map[string]float64{}
		for _, v := range n.values(nrql) {
			results = append(results, map[string]float64{"value": v})
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"actor": map[string]any{"account": map[string]any{"nrql": map[string]any{"results": results}}}}})
		return nrql
	})
	return n
}

func graphErrors(msg string) map[string]any {
	return map[string]any{"data": nil, "errors": []map[string]string{{"message": msg}}}
}
