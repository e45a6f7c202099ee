package analysis

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Datadog's metrics query API (https://docs.datadoghq.com/api/latest/metrics/#query-timeseries-points).
const (
	datadogDefaultAddress = "https://api.datadoghq.com"
	datadogQueryPath      = "/api/v1/query"
	datadogValidatePath   = "/api/v1/validate"
	datadogAPIKey         = "datadog_api_key"
	datadogAppKey         = "datadog_application_key"
	// datadogWindow is how many metric intervals a query looks back, as
	// in Flagger.
	datadogWindow = 10
)

// datadogType: the Secret holds datadog_api_key and
// datadog_application_key, sent as DD-API-KEY and DD-APPLICATION-KEY.
var datadogType = providerType{
	name:           "datadog",
	keys:           []string{datadogAPIKey, datadogAppKey},
	secretRequired: true,
	sampling:       SampleRange,
	build: func(c providerConfig) (Querier, error) {
		base, err := c.baseURL(datadogDefaultAddress)
		if err != nil {
			return nil, err
		}
		return &datadog{c: c, base: base}, nil
	},
}

// datadog queries Datadog's timeseries API. A query covers the 10 metric
// intervals before its time and its value is the first point of the first
// series — Flagger's choice: the newest point is often an incomplete
// bucket. No series, or no point with a value, is ErrNoValuesFound.
type datadog struct {
	c    providerConfig
	base string
}

type datadogAnswer struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Series []struct {
		Pointlist [][2]*float64 `json:"pointlist"`
	} `json:"series"`
}

func (d *datadog) points(ctx context.Context, query string, from, to time.Time) ([]float64, error) {
	q := url.Values{}
	q.Set("query", query)
	q.Set("from", strconv.FormatInt(from.Unix(), 10))
	q.Set("to", strconv.FormatInt(to.Unix(), 10))
	req, err := d.request(ctx, d.base+datadogQueryPath+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	var a datadogAnswer
	if err := sendJSON(d.c.client, req, &a); err != nil {
		return nil, err
	}
	if a.Status == "error" {
		return nil, fmt.Errorf("datadog query error: %s", a.Error)
	}
	if len(a.Series) == 0 {
		return nil, fmt.Errorf("no series: %w", ErrNoValuesFound)
	}
	var out []float64
	for _, p := range a.Series[0].Pointlist {
		if p[1] != nil {
			out = append(out, *p[1])
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no points: %w", ErrNoValuesFound)
	}
	return out, nil
}

// Query implements Querier.
func (d *datadog) Query(ctx context.Context, query string, t time.Time) (float64, error) {
	end := d.c.end(t)
	vs, err := d.points(ctx, query, end.Add(-datadogWindow*d.c.interval), end)
	if err != nil {
		return 0, err
	}
	return vs[0], nil
}

// QueryRange implements RangeQuerier: the points Datadog returns for the
// range (its rollup decides their spacing, not step).
func (d *datadog) QueryRange(ctx context.Context, query string, start, end time.Time, _ time.Duration) ([]float64, error) {
	return d.points(ctx, query, start, end)
}

// IsOnline asks Datadog to validate the API key.
func (d *datadog) IsOnline(ctx context.Context) error {
	req, err := d.request(ctx, d.base+datadogValidatePath)
	if err != nil {
		return err
	}
	_, _, err = send(d.c.client, req)
	return err
}

func (d *datadog) request(ctx context.Context, u string) (*http.Request, error) {
	apiKey, err := d.c.key(datadogAPIKey)
	if err != nil {
		return nil, err
	}
	appKey, err := d.c.key(datadogAppKey)
	if err != nil {
		return nil, err
	}
	req, err := d.c.newRequest(ctx, http.MethodGet, u, "")
	if err != nil {
		return nil, err
	}
	req.Header.Set("DD-API-KEY", apiKey)
	req.Header.Set("DD-APPLICATION-KEY", appKey)
	req.Header.Set("Accept", "application/json")
	return req, nil
}
