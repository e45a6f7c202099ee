package providertest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// Datadog is a stand-in of Datadog's API (https://docs.datadoghq.com/api/latest/metrics/#query-timeseries-points):
// GET /api/v1/query?query=&from=&to= (seconds) answers the series of the
// query with one point per value spread evenly over [from, to], and
// GET /api/v1/validate the key check; both want the DD-API-KEY and
// DD-APPLICATION-KEY headers, else 403 {"errors":["Forbidden"]}.
type Datadog struct{ *server }

// NewDatadog starts a Datadog stand-in that accepts the given keys; it
// stops when the test ends.
func NewDatadog(t testing.TB, apiKey, appKey string) *Datadog {
	d := &Datadog{}
	d.server = start(t, func(w http.ResponseWriter, r *http.Request, _ []byte) string {
		if r.Header.Get("DD-API-KEY") != apiKey || r.Header.Get("DD-APPLICATION-KEY") != appKey {
			writeJSON(w, http.StatusForbidden, map[string]any{"errors": []string{"Forbidden"}})
			return ""
		}
		switch r.URL.Path {
		case "/api/v1/validate":
			writeJSON(w, http.StatusOK, map[string]bool{"valid": true})
			return ""
		case "/api/v1/query":
		default:
			writeJSON(w, http.StatusNotFound, map[string]any{"errors": []string{"Not found"}})
			return ""
		}
		q := r.URL.Query()
		query := q.Get("query")
		from, err1 := strconv.ParseInt(q.Get("from"), 10, 64)
		to, err2 := strconv.ParseInt(q.Get("to"), 10, 64)
		if query == "" || err1 != nil || err2 != nil || to < from {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []string{"The query, from and to parameters are required"}})
			return query
		}
		writeJSON(w, http.StatusOK, datadogSeries(query, time.Unix(from, 0), time.Unix(to, 0), d.values(query)))
		return query
	})
	return d
}

// datadogSeries is the answer of /api/v1/query: no series for no values.
func datadogSeries(query string, from, to time.Time, values []float64) map[string]any {
	series := []map[string]any{}
	if len(values) > 0 {
		points := make([][2]float64, len(values))
		step := to.Sub(from) / time.Duration(len(values))
		for i, v := range values {
			points[i] = [2]float64{float64(from.Add(time.Duration(i) * step).UnixMilli()), v}
		}
		series = append(series, map[string]any{
			"metric": query, "expression": query, "scope": "*", "display_name": query,
			"pointlist": points, "length": len(points), "interval": int(step.Seconds()),
			"start": from.UnixMilli(), "end": to.UnixMilli(), "aggr": nil, "unit": nil,
		})
	}
	return map[string]any{
		"status": "ok", "res_type": "time_series", "resp_version": 1, "query": query,
		"from_date": from.UnixMilli(), "to_date": to.UnixMilli(), "series": series, "values": []any{}, "times": []any{},
		"message": "", "group_by": []string{},
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
