package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// CloudWatch's GetMetricData, through its AWS JSON 1.0 protocol, signed
// with SigV4: a plain HTTP request instead of the AWS SDK (which would add
// megabytes to the binary for one call).
const (
	cloudwatchTarget      = "GraniteServiceVersion20100801.GetMetricData"
	cloudwatchContentType = "application/x-amz-json-1.0"
	cloudwatchAccessKey   = "aws_access_key_id"
	cloudwatchSecretKey   = "aws_secret_access_key"
	cloudwatchSessionKey  = "aws_session_token"
	// cloudwatchWindow is how many metric intervals a query looks back.
	cloudwatchWindow = 5
	// cloudwatchMaxPoints is Flagger's MaxDatapoints.
	cloudwatchMaxPoints = 20
)

// cloudwatchType needs spec.provider.region. Credentials come from the
// template's Secret (aws_access_key_id, aws_secret_access_key, optional
// aws_session_token) or, without a secretRef, from gitcanary's environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). IAM roles
// for service accounts and instance profiles are not supported yet.
var cloudwatchType = providerType{
	name:           "cloudwatch",
	keys:           []string{cloudwatchAccessKey, cloudwatchSecretKey, cloudwatchSessionKey},
	regionRequired: true,
	sampling:       SampleWindows,
	build: func(c providerConfig) (Querier, error) {
		if c.Region == "" {
			return nil, errors.New("cloudwatch needs spec.provider.region")
		}
		base, err := c.baseURL("https://monitoring." + c.Region + ".amazonaws.com")
		if err != nil {
			return nil, err
		}
		return &cloudwatch{c: c, base: base}, nil
	},
}

// cloudwatch runs the query — a JSON list of MetricDataQuery, as in
// Flagger's templates — over the 5 metric intervals before the query's
// time and returns the first value of the first result (CloudWatch orders
// values newest first). No result or no value is ErrNoValuesFound.
type cloudwatch struct {
	c    providerConfig
	base string
}

type cloudwatchAnswer struct {
	MetricDataResults []struct {
		ID         string    `json:"Id"`
		StatusCode string    `json:"StatusCode"`
		Values     []float64 `json:"Values"`
	} `json:"MetricDataResults"`
	Messages []struct {
		Code  string `json:"Code"`
		Value string `json:"Value"`
	} `json:"Messages"`
}

// Query implements Querier.
func (w *cloudwatch) Query(ctx context.Context, query string, t time.Time) (float64, error) {
	var queries []json.RawMessage
	if err := json.Unmarshal([]byte(query), &queries); err != nil {
		return 0, fmt.Errorf("cloudwatch query must be a JSON list of MetricDataQuery: %w", err)
	}
	end := w.c.end(t)
	var a cloudwatchAnswer
	err := w.call(ctx, map[string]any{
		"MetricDataQueries": queries,
		"StartTime":         end.Add(-cloudwatchWindow * w.c.interval).Unix(),
		"EndTime":           end.Unix(),
		"MaxDatapoints":     cloudwatchMaxPoints,
	}, &a)
	if err != nil {
		return 0, err
	}
	if len(a.MetricDataResults) == 0 {
		return 0, fmt.Errorf("no results: %w", ErrNoValuesFound)
	}
	r := a.MetricDataResults[0]
	if len(r.Values) == 0 {
		return 0, fmt.Errorf("no values for %s (%s): %w", r.ID, r.StatusCode, ErrNoValuesFound)
	}
	return r.Values[0], nil
}

// IsOnline calls GetMetricData with no query, as Flagger does: CloudWatch
// answers 400 (a validation error) to a caller it let in, 403 to one it
// does not.
func (w *cloudwatch) IsOnline(ctx context.Context) error {
	err := w.call(ctx, map[string]any{"MetricDataQueries": []any{}, "StartTime": 0, "EndTime": 0}, &cloudwatchAnswer{})
	var se *StatusError
	if errors.As(err, &se) && se.Code == http.StatusBadRequest {
		return nil
	}
	return err
}

func (w *cloudwatch) call(ctx context.Context, input map[string]any, into any) error {
	cred, err := w.credentials()
	if err != nil {
		return err
	}
	body, err := json.Marshal(input)
	if err != nil {
		return err
	}
	req, err := w.c.newRequest(ctx, http.MethodPost, w.base+"/", string(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", cloudwatchContentType)
	req.Header.Set("X-Amz-Target", cloudwatchTarget)
	signV4(req, body, cred, w.c.Region, "monitoring", w.c.now())
	answer, _, err := send(w.c.client, req)
	if err != nil {
		return cloudwatchError(err)
	}
	if err := json.Unmarshal(answer, into); err != nil {
		return fmt.Errorf("error unmarshaling answer: %w: %s", err, clip(string(answer)))
	}
	return nil
}

func (w *cloudwatch) credentials() (awsCredentials, error) {
	if w.c.SecretRef == nil {
		c := awsCredentials{
			AccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
			SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
			SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
		}
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return c, errors.New("cloudwatch: no AWS credentials: set spec.provider.secretRef (keys aws_access_key_id, aws_secret_access_key) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
		}
		return c, nil
	}
	var c awsCredentials
	var err error
	if c.AccessKeyID, err = w.c.key(cloudwatchAccessKey); err != nil {
		return c, err
	}
	if c.SecretAccessKey, err = w.c.key(cloudwatchSecretKey); err != nil {
		return c, err
	}
	c.SessionToken, _, err = w.c.optionalKey(cloudwatchSessionKey)
	return c, err
}

// cloudwatchError turns AWS's JSON error ({"__type": "...#Code",
// "message": "..."}) into "Code: message".
func cloudwatchError(err error) error {
	var se *StatusError
	if !errors.As(err, &se) {
		return err
	}
	var a struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if json.Unmarshal([]byte(se.raw), &a) != nil || a.Type == "" {
		return err
	}
	code := a.Type[strings.LastIndex(a.Type, "#")+1:]
	return &StatusError{Code: se.Code, Body: code + ": " + a.Message}
}
