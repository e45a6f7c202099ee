package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Dynatrace's metrics API v2 (GET <address>/api/v2/metrics/query).
const (
	dynatraceQueryPath    = "/api/v2/metrics/query"
	dynatraceValidatePath = "/api/v2/metrics?pageSize=1"
	dynatraceTokenKey     = "dynatrace_token"
	dynatraceWindow       = 10
)

// dynatraceType: the Secret holds dynatrace_token, sent as
// "Authorization: Api-Token <token>"; the address is the environment URL.
var dynatraceType = providerType{
	name:            "dynatrace",
	addressRequired: true,
	keys:            []string{dynatraceTokenKey},
	secretRequired:  true,
	sampling:        SampleWindows,
	build: func(c providerConfig) (Querier, error) {
		base, err := c.baseURL("")
		if err != nil {
			return nil, err
		}
		return &dynatrace{c: c, base: base}, nil
	},
}

// dynatrace asks for the metric selector at resolution Inf over the 10
// metric intervals before the query's time (Flagger's window) and takes
// the first value of the last data entry of the first result; none (or
// null) is ErrNoValuesFound.
type dynatrace struct {
	c    providerConfig
	base string
}

// Query implements Querier.
func (d *dynatrace) Query(ctx context.Context, query string, t time.Time) (float64, error) {
	end := d.c.end(t)
	q := url.Values{}
	q.Set("metricSelector", query)
	q.Set("resolution", "Inf")
	q.Set("from", strconv.FormatInt(end.Add(-dynatraceWindow*d.c.interval).UnixMilli(), 10))
	q.Set("to", strconv.FormatInt(end.UnixMilli(), 10))
	req, err := d.request(ctx, d.base+dynatraceQueryPath+"?"+q.Encode())
	if err != nil {
		return 0, err
	}
	var a struct {
		Result []struct {
			MetricID string `json:"metricId"`
			Data     []struct {
				Values []*float64 `json:"values"`
			} `json:"data"`
		} `json:"result"`
	}
	if err := sendJSON(d.c.client, req, &a); err != nil {
		return 0, dynatraceError(err)
	}
	if len(a.Result) == 0 || len(a.Result[0].Data) == 0 {
		return 0, fmt.Errorf("no data: %w", ErrNoValuesFound)
	}
	vs := a.Result[0].Data[len(a.Result[0].Data)-1].Values
	if len(vs) == 0 || vs[0] == nil {
		return 0, fmt.Errorf("no values: %w", ErrNoValuesFound)
	}
	return *vs[0], nil
}

// IsOnline lists one metric with the token.
func (d *dynatrace) IsOnline(ctx context.Context) error {
	req, err := d.request(ctx, d.base+dynatraceValidatePath)
	if err != nil {
		return err
	}
	_, _, err = send(d.c.client, req)
	return dynatraceError(err)
}

func (d *dynatrace) request(ctx context.Context, u string) (*http.Request, error) {
	token, err := d.c.key(dynatraceTokenKey)
	if err != nil {
		return nil, err
	}
	req, err := d.c.newRequest(ctx, http.MethodGet, u, "")
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Api-Token "+token)
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// dynatraceError turns Dynatrace's {"error":{"code","message"}} answer into
// its message.
func dynatraceError(err error) error {
	se, ok := err.(*StatusError)
	if !ok {
		return err
	}
	var a struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(se.raw), &a) == nil && a.Error.Message != "" {
		return fmt.Errorf("dynatrace: HTTP %d: %s", se.Code, a.Error.Message)
	}
	return err
}
