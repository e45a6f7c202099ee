package analysis

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// influxdbType: InfluxDB 2's Flux query API (POST <address>/api/v2/query).
// An optional Secret holds "token" (sent as "Authorization: Token <token>")
// and "org".
var influxdbType = providerType{
	name:            "influxdb",
	addressRequired: true,
	keys:            []string{"token", "org"},
	sampling:        SampleChecks,
	build: func(c providerConfig) (Querier, error) {
		base, err := c.baseURL("")
		if err != nil {
			return nil, err
		}
		return &influxdb{c: c, base: base}, nil
	},
}

// influxdbOnlineQuery is Flagger's probe.
const influxdbOnlineQuery = `from(bucket: "default") |> range(start: -2h)`

// influxdb runs a Flux query (its window is in the query: t is not used)
// and returns the _value of the first record. A null _value, or no record
// at all, is ErrNoValuesFound (Flagger answers 0 for no record); a value
// that is not a number is an error.
type influxdb struct {
	c    providerConfig
	base string
}

// Query implements Querier.
func (i *influxdb) Query(ctx context.Context, query string, _ time.Time) (float64, error) {
	rec, err := i.run(ctx, query)
	if err != nil {
		return 0, err
	}
	if rec == nil {
		return 0, fmt.Errorf("no records: %w", ErrNoValuesFound)
	}
	switch rec.datatype {
	case "double", "long", "unsignedLong", "":
	default:
		return 0, fmt.Errorf("_value is a %s, want a number", rec.datatype)
	}
	if rec.value == "" {
		return 0, fmt.Errorf("_value is null: %w", ErrNoValuesFound)
	}
	v, err := strconv.ParseFloat(rec.value, 64)
	if err != nil {
		return 0, fmt.Errorf("_value %q is not a number", rec.value)
	}
	return v, nil
}

// IsOnline runs Flagger's probe on the bucket "default".
func (i *influxdb) IsOnline(ctx context.Context) error {
	_, err := i.run(ctx, influxdbOnlineQuery)
	return err
}

type influxRecord struct {
	value    string
	datatype string
}

// run posts the query and reads the annotated CSV answer up to the first
// record.
func (i *influxdb) run(ctx context.Context, query string) (*influxRecord, error) {
	u := i.base + "/api/v2/query"
	if i.c.SecretRef != nil {
		org, err := i.c.key("org")
		if err != nil {
			return nil, err
		}
		u += "?" + url.Values{"org": {org}}.Encode()
	}
	body, err := json.Marshal(map[string]any{
		"query": query,
		"type":  "flux",
		"dialect": map[string]any{
			"header": true, "delimiter": ",",
			"annotations": []string{"datatype", "group", "default"},
		},
	})
	if err != nil {
		return nil, err
	}
	req, err := i.c.newRequest(ctx, http.MethodPost, u, string(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/csv")
	if i.c.SecretRef != nil {
		token, err := i.c.key("token")
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Token "+token)
	}
	answer, _, err := send(i.c.client, req)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) {
			var e struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			}
			if json.Unmarshal([]byte(se.raw), &e) == nil && e.Message != "" {
				return nil, fmt.Errorf("influxdb: HTTP %d: %s: %s", se.Code, e.Code, e.Message)
			}
		}
		return nil, err
	}
	return firstFluxRecord(string(answer))
}

// firstFluxRecord reads annotated CSV: tables of "#datatype" / "#group" /
// "#default" annotation rows, a header row, then records; an "error"
// column carries a query error.
func firstFluxRecord(answer string) (*influxRecord, error) {
	r := csv.NewReader(strings.NewReader(answer))
	r.FieldsPerRecord = -1
	var types, header []string
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading flux answer: %w", err)
		}
		switch {
		case len(row) == 0 || (len(row) == 1 && row[0] == ""):
			types, header = nil, nil // a blank line ends a table
		case row[0] == "#datatype":
			types, header = row, nil
		case strings.HasPrefix(row[0], "#"):
		case header == nil:
			header = row
		default:
			col := func(name string) int {
				for k, h := range header {
					if h == name {
						return k
					}
				}
				return -1
			}
			if k := col("error"); k >= 0 && k < len(row) && row[k] != "" {
				return nil, fmt.Errorf("influxdb query error: %s", row[k])
			}
			k := col("_value")
			if k < 0 || k >= len(row) {
				return nil, errors.New("flux answer has no _value column")
			}
			rec := &influxRecord{value: row[k]}
			if k < len(types) {
				rec.datatype = types[k]
			}
			return rec, nil
		}
	}
}
