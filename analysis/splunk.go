package analysis

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Splunk Observability (SignalFx): SignalFlow programs run through the
// HTTP streaming API (POST <stream address>/v2/signalflow/execute, answered
// with server-sent events) instead of Flagger's WebSocket client.
const (
	splunkTokenKey = "sf_token_key"
	splunkWindow   = 10
)

// splunkType: the Secret holds sf_token_key (X-SF-Token). The address is
// the realm's API or stream URL (https://api.us1.signalfx.com or
// wss://stream.us1.signalfx.com): programs go to the stream host, the
// online check to the API host, as Flagger converts them.
var splunkType = providerType{
	name:            "splunk",
	addressRequired: true,
	keys:            []string{splunkTokenKey},
	secretRequired:  true,
	sampling:        SampleRange,
	build:           buildSplunk,
}

// signalfxType is Splunk Observability under its former name.
var signalfxType = func() providerType {
	t := splunkType
	t.name = "signalfx"
	return t
}()

func buildSplunk(c providerConfig) (Querier, error) {
	if c.Address == "" {
		return nil, fmt.Errorf("%s needs spec.provider.address", c.Type)
	}
	a := c.Address
	for from, to := range map[string]string{"wss://": "https://", "ws://": "http://"} {
		if strings.HasPrefix(a, from) {
			a = to + strings.TrimPrefix(a, from)
		}
	}
	u, err := parseAddress(a)
	if err != nil {
		return nil, err
	}
	stream, api := *u, *u
	if host, ok := strings.CutPrefix(u.Host, "api."); ok {
		stream.Host = "stream." + host
	}
	if host, ok := strings.CutPrefix(u.Host, "stream."); ok {
		api.Host = "api." + host
	}
	return &splunk{c: c, stream: strings.TrimRight(stream.String(), "/"), api: strings.TrimRight(api.String(), "/")}, nil
}

// splunk runs the program over the 10 metric intervals before the query's
// time. Its value is the last data point; null values are left out; none
// is ErrNoValuesFound, and points of more than one time series are
// ErrMultipleValues, as in Flagger.
type splunk struct {
	c           providerConfig
	stream, api string
}

// Query implements Querier.
func (s *splunk) Query(ctx context.Context, program string, t time.Time) (float64, error) {
	end := s.c.end(t)
	vs, err := s.execute(ctx, program, end.Add(-splunkWindow*s.c.interval), end, 0)
	if err != nil {
		return 0, err
	}
	return vs[len(vs)-1], nil
}

// QueryRange implements RangeQuerier: the program's data points over the
// range at the given resolution.
func (s *splunk) QueryRange(ctx context.Context, program string, start, end time.Time, step time.Duration) ([]float64, error) {
	return s.execute(ctx, program, start, end, step)
}

// IsOnline lists one metric with the token.
func (s *splunk) IsOnline(ctx context.Context) error {
	req, err := s.request(ctx, http.MethodGet, s.api+"/v2/metric?limit=1", "")
	if err != nil {
		return err
	}
	_, _, err = send(s.c.client, req)
	return err
}

func (s *splunk) request(ctx context.Context, method, u, body string) (*http.Request, error) {
	token, err := s.c.key(splunkTokenKey)
	if err != nil {
		return nil, err
	}
	req, err := s.c.newRequest(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-SF-Token", token)
	return req, nil
}

func (s *splunk) execute(ctx context.Context, program string, start, stop time.Time, step time.Duration) ([]float64, error) {
	q := url.Values{}
	q.Set("start", strconv.FormatInt(start.UnixMilli(), 10))
	q.Set("stop", strconv.FormatInt(stop.UnixMilli(), 10))
	q.Set("immediate", "true")
	if step > 0 {
		q.Set("resolution", strconv.FormatInt(step.Milliseconds(), 10))
	}
	req, err := s.request(ctx, http.MethodPost, s.stream+"/v2/signalflow/execute?"+q.Encode(), program)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Accept", "text/event-stream")
	answer, _, err := send(s.c.client, req)
	if err != nil {
		return nil, err
	}
	return signalflowValues(string(answer))
}

// signalflowValues reads the event stream: "data" events carry
// {"data": [{"tsId", "value"}], "logicalTimestampMs"}; an "error" event
// fails the program.
func signalflowValues(stream string) ([]float64, error) {
	var out []float64
	series := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(stream))
	sc.Buffer(make([]byte, 64<<10), maxAnswer)
	event, data := "", ""
	flush := func() error {
		defer func() { event, data = "", "" }()
		switch event {
		case "data":
			var m struct {
				Data []struct {
					TSID  string   `json:"tsId"`
					Value *float64 `json:"value"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				return fmt.Errorf("signalflow data message: %w", err)
			}
			for _, p := range m.Data {
				if p.Value != nil {
					series[p.TSID] = true
					out = append(out, *p.Value)
				}
			}
		case "error":
			var m struct {
				Message string `json:"message"`
			}
			_ = json.Unmarshal([]byte(data), &m)
			if m.Message == "" {
				m.Message = clip(data)
			}
			return fmt.Errorf("signalflow error: %s", m.Message)
		}
		return nil
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if err := flush(); err != nil {
				return nil, err
			}
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(series) > 1 {
		return nil, fmt.Errorf("%d time series: %w", len(series), ErrMultipleValues)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no data points: %w", ErrNoValuesFound)
	}
	return out, nil
}
