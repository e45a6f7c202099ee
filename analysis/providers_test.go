package analysis_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/analysis"
	"github.com/gitcanary/gitcanary/analysis/secrets"
)

// standIn is an httptest server answering with handler and recording the
// requests it got (with their bodies).
type standIn struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
	body []string
}

func newStandIn(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, body string)) *standIn {
	t.Helper()
	s := &standIn{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, r)
		s.body = append(s.body, string(b))
		s.mu.Unlock()
		handler(w, r, string(b))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) last() (*http.Request, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		return nil, ""
	}
	return s.reqs[len(s.reqs)-1], s.body[len(s.body)-1]
}

// creds is a Secret store in memory: "ns/name" → key → value.
type creds map[string]map[string]string

func (c creds) Read(ns, name, key string) (string, error) {
	v, ok := c[ns+"/"+name][key]
	if !ok {
		return "", fmt.Errorf("secret %s/%s has no key %q: %w", ns, name, key, secrets.ErrNoKey)
	}
	return v, nil
}

var fixedNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func querier(t *testing.T, s secrets.Reader, p analysis.Provider) analysis.Querier {
	t.Helper()
	f := analysis.NewFactory(s, analysis.WithFactoryClock(func() time.Time { return fixedNow }))
	q, err := f.Querier(p, "istio-system", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func online(t *testing.T, q analysis.Querier) error {
	t.Helper()
	oc, ok := q.(analysis.OnlineChecker)
	if !ok {
		t.Fatalf("%T has no online check", q)
	}
	return oc.IsOnline(context.Background())
}

func TestDatadog(t *testing.T) {
	t.Parallel()
	answer := `{"status":"ok","series":[{"pointlist":[[1700000000000,99.5],[1700000060000,98.1]]}]}`
	dd := newStandIn(t, func(w http.ResponseWriter, r *http.Request, _ string) {
		if r.Header.Get("DD-API-KEY") != "api-k" || r.Header.Get("DD-APPLICATION-KEY") != "app-k" {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"errors":["Forbidden"]}`)
			return
		}
		switch r.URL.Path {
		case "/api/v1/validate":
			fmt.Fprint(w, `{"valid":true}`)
		case "/api/v1/query":
			if strings.Contains(r.URL.Query().Get("query"), "nothing") {
				fmt.Fprint(w, `{"status":"ok","series":[]}`)
				return
			}
			if strings.Contains(r.URL.Query().Get("query"), "bad(") {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"errors":["Error parsing query: unable to parse bad(: Rule 'scope_expr' didn't match"]}`)
				return
			}
			fmt.Fprint(w, answer)
		}
	})
	s := creds{"istio-system/datadog": {"datadog_api_key": "api-k", "datadog_application_key": "app-k"}}
	p := analysis.Provider{Type: "datadog", Address: dd.URL, SecretRef: &analysis.SecretRef{Name: "datadog"}}
	q := querier(t, s, p)
	v, err := q.Query(context.Background(), "sum:istio.mesh.request.count{*}.as_count()", time.Time{})
	if err != nil || v != 99.5 {
		t.Fatalf("Query = %v, %v; want the first point, 99.5", v, err)
	}
	r, _ := dd.last()
	if got := r.URL.Query(); got.Get("from") != fmt.Sprint(fixedNow.Add(-10*time.Minute).Unix()) || got.Get("to") != fmt.Sprint(fixedNow.Unix()) {
		t.Errorf("window from=%s to=%s, want the 10 intervals before now", got.Get("from"), got.Get("to"))
	}
	vs, err := q.(analysis.RangeQuerier).QueryRange(context.Background(), "q", fixedNow.Add(-time.Minute), fixedNow, 6*time.Second)
	if err != nil || len(vs) != 2 || vs[1] != 98.1 {
		t.Errorf("QueryRange = %v, %v", vs, err)
	}
	if _, err := q.Query(context.Background(), "nothing", time.Time{}); !errors.Is(err, analysis.ErrNoValuesFound) {
		t.Errorf("empty series: %v, want ErrNoValuesFound", err)
	}
	if _, err := q.Query(context.Background(), "bad(", time.Time{}); err == nil || !strings.Contains(err.Error(), "HTTP 400: {\"errors\":[\"Error parsing query") {
		t.Errorf("bad query: %v", err)
	}
	if err := online(t, q); err != nil {
		t.Errorf("IsOnline: %v", err)
	}
	wrong := querier(t, creds{"istio-system/datadog": {"datadog_api_key": "api-k", "datadog_application_key": "revoked"}}, p)
	if err := online(t, wrong); err == nil || !strings.Contains(err.Error(), "HTTP 403") || strings.Contains(err.Error(), "revoked") {
		t.Errorf("IsOnline with a revoked key: %v", err)
	}
	missing := querier(t, creds{"istio-system/datadog": {"datadog_api_key": "api-k"}}, p)
	if _, err := missing.Query(context.Background(), "q", time.Time{}); err == nil || !strings.Contains(err.Error(), `has no key "datadog_application_key"`) {
		t.Errorf("missing key: %v", err)
	}
}

func TestNewRelic(t *testing.T) {
	t.Parallel()
	nr := newStandIn(t, func(w http.ResponseWriter, r *http.Request, body string) {
		switch {
		case r.URL.Path == "/graphql":
			if r.Header.Get("API-Key") != "user-key" {
				fmt.Fprint(w, `{"errors":[{"message":"Invalid API key"}]}`)
				return
			}
			var req struct {
				Query     string            `json:"query"`
				Variables map[string]string `json:"variables"`
			}
			_ = json.Unmarshal([]byte(body), &req)
			if strings.Contains(req.Query, "user { name }") {
				fmt.Fprint(w, `{"data":{"actor":{"user":{"name":"ci"}}}}`)
				return
			}
			if !strings.Contains(req.Query, "account(id: 1234567)") {
				t.Errorf("nerdgraph query %q lacks the account", req.Query)
			}
			if strings.Contains(req.Variables["query"], "none") {
				fmt.Fprint(w, `{"data":{"actor":{"account":{"nrql":{"results":[]}}}}}`)
				return
			}
			fmt.Fprint(w, `{"data":{"actor":{"account":{"nrql":{"results":[{"facet":"x","percentage":1.25}]}}}}}`)
		case r.URL.Path == "/v1/accounts/1234567/query":
			if r.Header.Get("X-Query-Key") != "query-key" {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"error":"Invalid query key"}`)
				return
			}
			fmt.Fprint(w, `{"results":[{"result":0.5}]}`)
		}
	})
	graph := querier(t, creds{"istio-system/nr": {"newrelic_account_id": "1234567", "newrelic_api_key": "user-key"}},
		analysis.Provider{Type: "newrelic", Address: nr.URL + "/graphql", SecretRef: &analysis.SecretRef{Name: "nr"}})
	v, err := graph.Query(context.Background(), "SELECT percentage(count(*), WHERE error IS true) FROM Transaction", time.Time{})
	if err != nil || v != 1.25 {
		t.Fatalf("NerdGraph Query = %v, %v", v, err)
	}
	_, body := nr.last()
	if !strings.Contains(body, `FROM Transaction SINCE 60 seconds ago`) {
		t.Errorf("NRQL window missing: %s", body)
	}
	if _, err := graph.Query(context.Background(), "SELECT none FROM Transaction", fixedNow.Add(-time.Minute)); !errors.Is(err, analysis.ErrNoValuesFound) {
		t.Errorf("no results: %v", err)
	}
	if _, body := nr.last(); !strings.Contains(body, fmt.Sprintf("SINCE %d UNTIL %d", fixedNow.Add(-2*time.Minute).UnixMilli(), fixedNow.Add(-time.Minute).UnixMilli())) {
		t.Errorf("a past sample needs an absolute window: %s", body)
	}
	if err := online(t, graph); err != nil {
		t.Errorf("IsOnline: %v", err)
	}
	insights := querier(t, creds{"istio-system/nr": {"newrelic_account_id": "1234567", "newrelic_query_key": "query-key"}},
		analysis.Provider{Type: "newrelic", Address: nr.URL, SecretRef: &analysis.SecretRef{Name: "nr"}})
	if v, err := insights.Query(context.Background(), "SELECT count(*) FROM Transaction", time.Time{}); err != nil || v != 0.5 {
		t.Errorf("Insights Query = %v, %v", v, err)
	}
	bad := querier(t, creds{"istio-system/nr": {"newrelic_account_id": "1234567", "newrelic_query_key": "wrong"}},
		analysis.Provider{Type: "newrelic", Address: nr.URL, SecretRef: &analysis.SecretRef{Name: "nr"}})
	if err := online(t, bad); err == nil || !strings.Contains(err.Error(), `HTTP 401: {"error":"Invalid query key"}`) {
		t.Errorf("Insights with a wrong key: %v", err)
	}
}

// AWS's SigV4 test suite, get-vanilla and get-vanilla-query-order-key-case:
// the signing must give the published signatures.
func TestSigV4TestSuite(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ url, sig string }{
		{"https://example.amazonaws.com/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"https://example.amazonaws.com/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
	} {
		got := analysis.SignV4ForTest(tt.url, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service", time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC))
		want := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + tt.sig
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", tt.url, got, want)
		}
	}
}

func TestCloudWatch(t *testing.T) {
	t.Parallel()
	cw := newStandIn(t, func(w http.ResponseWriter, r *http.Request, body string) {
		if r.Header.Get("X-Amz-Target") != "GraniteServiceVersion20100801.GetMetricData" || r.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"com.amazon.coral.service#UnknownOperationException"}`)
			return
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261122/ap-northeast-1/monitoring/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=") {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"__type":"com.amazon.coral.service#AccessDeniedException","message":"User is not authorized to perform: cloudwatch:GetMetricData (%s)"}`, r.Header.Get("Authorization"))
			return
		}
		var in struct {
			MetricDataQueries []map[string]any
			StartTime         int64
			EndTime           int64
		}
		_ = json.Unmarshal([]byte(body), &in)
		if len(in.MetricDataQueries) == 0 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"com.amazon.coral.validate#ValidationException","message":"1 validation error detected"}`)
			return
		}
		if in.EndTime-in.StartTime != 300 {
			t.Errorf("window %d s, want 5 intervals", in.EndTime-in.StartTime)
		}
		fmt.Fprint(w, `{"MetricDataResults":[{"Id":"e1","Label":"ErrorRate","StatusCode":"Complete","Timestamps":[1.7e9,1.69999994e9],"Values":[0.02,0.5]}],"Messages":[]}`)
	})
	s := creds{"istio-system/aws": {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "secret", "aws_session_token": "session"}}
	p := analysis.Provider{Type: "cloudwatch", Region: "ap-northeast-1", Address: cw.URL, SecretRef: &analysis.SecretRef{Name: "aws"}}
	q := querier(t, s, p)
	v, err := q.Query(context.Background(), `[{"Id":"e1","Expression":"m1 / m2"}]`, time.Time{})
	if err != nil || v != 0.02 {
		t.Fatalf("Query = %v, %v; want the newest value", v, err)
	}
	if err := online(t, q); err != nil {
		t.Errorf("IsOnline (validation error = reachable): %v", err)
	}
	if _, err := q.Query(context.Background(), `{"Id":"e1"}`, time.Time{}); err == nil || !strings.Contains(err.Error(), "cloudwatch query must be a JSON list of MetricDataQuery") {
		t.Errorf("bad query: %v", err)
	}
	denied := querier(t, creds{"istio-system/aws": {"aws_access_key_id": "AKIAOTHER", "aws_secret_access_key": "secret"}}, p)
	err = online(t, denied)
	if err == nil || !strings.Contains(err.Error(), "HTTP 403: AccessDeniedException: User is not authorized") {
		t.Errorf("denied: %v", err)
	}
}

func TestGraphite(t *testing.T) {
	t.Parallel()
	g := newStandIn(t, func(w http.ResponseWriter, r *http.Request, _ string) {
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "pass" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("format") != "json" {
			t.Errorf("format = %q", r.URL.Query().Get("format"))
		}
		if r.URL.Query().Get("target") == "test" {
			fmt.Fprint(w, `[]`)
			return
		}
		fmt.Fprint(w, `[{"target":"a","datapoints":[[98.5,1700000000],[99.1,1700000060],[null,1700000120]]}]`)
	})
	q := querier(t, creds{"istio-system/g": {"username": "user", "password": "pass"}},
		analysis.Provider{Type: "graphite", Address: g.URL, SecretRef: &analysis.SecretRef{Name: "g"}})
	v, err := q.Query(context.Background(), "target=summarize(\n  asPercent(a, b),\n  '1min', 'avg')\n&from=-1min", time.Time{})
	if err != nil || v != 99.1 {
		t.Fatalf("Query = %v, %v; want the last non-null datapoint", v, err)
	}
	if err := online(t, q); err != nil {
		t.Errorf("IsOnline: %v", err)
	}
	anon := querier(t, nil, analysis.Provider{Type: "graphite", Address: g.URL})
	if _, err := anon.Query(context.Background(), "target=a", time.Time{}); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("no credentials: %v", err)
	}
}

func TestInfluxDB(t *testing.T) {
	t.Parallel()
	in := newStandIn(t, func(w http.ResponseWriter, r *http.Request, body string) {
		if r.Header.Get("Authorization") != "Token tok" || r.URL.Query().Get("org") != "acme" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code":"unauthorized","message":"unauthorized access"}`)
			return
		}
		switch {
		case strings.Contains(body, `bucket: \"default\"`):
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"code":"not found","message":"failed to initialize execute state: could not find bucket \"default\""}`)
		case strings.Contains(body, "empty"):
		case strings.Contains(body, "null"):
			fmt.Fprint(w, "#datatype,string,long,double\n#group,false,false,false\n#default,_result,,\n,result,table,_value\n,,0,\n\n")
		default:
			fmt.Fprint(w, "#datatype,string,long,dateTime:RFC3339,double\n#group,false,false,true,false\n#default,_result,,,\n,result,table,_start,_value\n,,0,2026-11-22T09:58:00Z,42.5\n,,0,2026-11-22T09:59:00Z,7\n\n")
		}
	})
	q := querier(t, creds{"istio-system/influx": {"token": "tok", "org": "acme"}},
		analysis.Provider{Type: "influxdb", Address: in.URL, SecretRef: &analysis.SecretRef{Name: "influx"}})
	v, err := q.Query(context.Background(), `from(bucket: "istio") |> range(start: -1m) |> count()`, time.Time{})
	if err != nil || v != 42.5 {
		t.Fatalf("Query = %v, %v", v, err)
	}
	if r, body := in.last(); r.URL.Path != "/api/v2/query" || !strings.Contains(body, `"type":"flux"`) {
		t.Errorf("request %s %s", r.URL.Path, body)
	}
	for _, query := range []string{"empty", "null"} {
		if _, err := q.Query(context.Background(), query, time.Time{}); !errors.Is(err, analysis.ErrNoValuesFound) {
			t.Errorf("%s: %v, want ErrNoValuesFound", query, err)
		}
	}
	if err := online(t, q); err == nil || !strings.Contains(err.Error(), `influxdb: HTTP 404: not found: failed to initialize execute state: could not find bucket "default"`) {
		t.Errorf("IsOnline without the default bucket: %v", err)
	}
}

func TestDynatrace(t *testing.T) {
	t.Parallel()
	dt := newStandIn(t, func(w http.ResponseWriter, r *http.Request, _ string) {
		if r.Header.Get("Authorization") != "Api-Token dt0c01.x" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":401,"message":"Missing authorization parameter."}}`)
			return
		}
		switch r.URL.Path {
		case "/api/v2/metrics":
			fmt.Fprint(w, `{"totalCount":1,"metrics":[{"metricId":"builtin:x"}]}`)
		case "/api/v2/metrics/query":
			if r.URL.Query().Get("resolution") != "Inf" {
				t.Errorf("resolution = %q", r.URL.Query().Get("resolution"))
			}
			if strings.Contains(r.URL.Query().Get("metricSelector"), "none") {
				fmt.Fprint(w, `{"totalCount":1,"resolution":"Inf","result":[{"metricId":"none","data":[{"dimensions":[],"timestamps":[1],"values":[null]}]}]}`)
				return
			}
			fmt.Fprint(w, `{"totalCount":1,"resolution":"Inf","result":[{"metricId":"builtin:service.response.time","data":[{"dimensions":["A"],"timestamps":[1],"values":[100]},{"dimensions":["B"],"timestamps":[1],"values":[212.5]}]}]}`)
		}
	})
	p := analysis.Provider{Type: "dynatrace", Address: dt.URL, SecretRef: &analysis.SecretRef{Name: "dynatrace"}}
	q := querier(t, creds{"istio-system/dynatrace": {"dynatrace_token": "dt0c01.x"}}, p)
	if v, err := q.Query(context.Background(), "builtin:service.response.time:percentile(95)", time.Time{}); err != nil || v != 212.5 {
		t.Fatalf("Query = %v, %v", v, err)
	}
	if _, err := q.Query(context.Background(), "none", time.Time{}); !errors.Is(err, analysis.ErrNoValuesFound) {
		t.Errorf("null value: %v", err)
	}
	if err := online(t, q); err != nil {
		t.Errorf("IsOnline: %v", err)
	}
	bad := querier(t, creds{"istio-system/dynatrace": {"dynatrace_token": "other"}}, p)
	if err := online(t, bad); err == nil || err.Error() != "dynatrace: HTTP 401: Missing authorization parameter." {
		t.Errorf("bad token: %v", err)
	}
}

func TestStackdriver(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	gsrv := newStandIn(t, func(w http.ResponseWriter, r *http.Request, body string) {
		switch r.URL.Path {
		case "/token":
			if !strings.Contains(body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer") || !strings.Contains(body, "assertion=") {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"error":"invalid_grant"}`)
				return
			}
			fmt.Fprint(w, `{"access_token":"ya29.token","expires_in":3599,"token_type":"Bearer"}`)
		case "/v3/projects/my-project/timeSeries:query":
			if r.Header.Get("Authorization") != "Bearer ya29.token" {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`)
				return
			}
			if strings.Contains(body, `"query":""`) {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"error":{"code":400,"message":"Query is empty.","status":"INVALID_ARGUMENT"}}`)
				return
			}
			fmt.Fprint(w, `{"timeSeriesDescriptor":{"pointDescriptors":[{"key":"value_response_latencies_percentile","valueType":"DOUBLE"}]},"timeSeriesData":[{"labelValues":[],"pointData":[{"values":[{"doubleValue":251.3}],"timeInterval":{"startTime":"2026-11-22T09:59:00Z","endTime":"2026-11-22T10:00:00Z"}}]}]}`)
		}
	})
	saKey, _ := json.Marshal(map[string]string{"type": "service_account", "client_email": "flagger@my-project.iam.gserviceaccount.com", "private_key": string(pemKey), "private_key_id": "k1", "token_uri": gsrv.URL + "/token"})
	q := querier(t, creds{"istio-system/gcloud-sa": {"project": "my-project", "serviceAccountKey": string(saKey)}},
		analysis.Provider{Type: "stackdriver", Address: gsrv.URL, SecretRef: &analysis.SecretRef{Name: "gcloud-sa"}})
	if v, err := q.Query(context.Background(), "fetch k8s_container | metric 'istio.io/service/server/response_latencies'", time.Time{}); err != nil || v != 251.3 {
		t.Fatalf("Query = %v, %v", v, err)
	}
	if err := online(t, q); err != nil {
		t.Errorf("IsOnline (INVALID_ARGUMENT = reachable): %v", err)
	}
}

func TestSplunk(t *testing.T) {
	t.Parallel()
	sf := newStandIn(t, func(w http.ResponseWriter, r *http.Request, body string) {
		if r.Header.Get("X-SF-Token") != "sf-token" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code":401,"message":"Unauthorized"}`)
			return
		}
		switch r.URL.Path {
		case "/v2/metric":
			fmt.Fprint(w, `{"count":1,"results":[{"name":"requests"}]}`)
		case "/v2/signalflow/execute":
			w.Header().Set("Content-Type", "text/event-stream")
			switch {
			case strings.Contains(body, "two"):
				fmt.Fprint(w, "event: data\ndata: {\"data\":[{\"tsId\":\"A\",\"value\":1},{\"tsId\":\"B\",\"value\":2}],\"logicalTimestampMs\":1}\n\n")
			case strings.Contains(body, "broken"):
				fmt.Fprint(w, "event: error\ndata: {\"error\":400,\"message\":\"Failed to compile program\"}\n\n")
			default:
				fmt.Fprint(w, "event: control-message\ndata: {\"event\":\"STREAM_START\"}\n\nevent: data\ndata: {\"data\":[{\"tsId\":\"A\",\"value\":0.4}],\"logicalTimestampMs\":1}\n\nevent: data\ndata: {\"data\":[{\"tsId\":\"A\",\"value\":null}],\"logicalTimestampMs\":2}\n\nevent: data\ndata: {\"data\":[{\"tsId\":\"A\",\"value\":0.7}],\"logicalTimestampMs\":3}\n\nevent: control-message\ndata: {\"event\":\"END_OF_CHANNEL\"}\n\n")
			}
		}
	})
	q := querier(t, creds{"istio-system/sf": {"sf_token_key": "sf-token"}},
		analysis.Provider{Type: "splunk", Address: sf.URL, SecretRef: &analysis.SecretRef{Name: "sf"}})
	if v, err := q.Query(context.Background(), "data('requests').sum().publish()", time.Time{}); err != nil || v != 0.7 {
		t.Fatalf("Query = %v, %v; want the last non-null value", v, err)
	}
	if r, _ := sf.last(); r.URL.Query().Get("immediate") != "true" || r.URL.Query().Get("stop") != fmt.Sprint(fixedNow.UnixMilli()) {
		t.Errorf("execute query %s", r.URL.RawQuery)
	}
	if _, err := q.Query(context.Background(), "two", time.Time{}); !errors.Is(err, analysis.ErrMultipleValues) {
		t.Errorf("two series: %v", err)
	}
	if _, err := q.Query(context.Background(), "broken", time.Time{}); err == nil || err.Error() != "signalflow error: Failed to compile program" {
		t.Errorf("error event: %v", err)
	}
	if err := online(t, q); err != nil {
		t.Errorf("IsOnline: %v", err)
	}
}

func TestKeptnAndExternalMetrics(t *testing.T) {
	t.Parallel()
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request, _ string) {
		switch r.URL.Path {
		case "/metrics":
			fmt.Fprint(w, "# HELP podinfo_errors podinfo-errors\n")
		case "/api/v1/metrics/keptn-system/podinfo-errors":
			fmt.Fprint(w, `{"metric":"podinfo-errors","namespace":"keptn-system","value":"0.35"}`)
		case "/api/v1/metrics/keptn-system/fresh":
			fmt.Fprint(w, `{"metric":"fresh","namespace":"keptn-system","value":""}`)
		case "/apis/external.metrics.k8s.io/v1beta1/namespaces/test/queue-depth":
			if r.Header.Get("Authorization") != "Bearer kube-token" || r.URL.Query().Get("labelSelector") != "app=podinfo" {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			fmt.Fprint(w, `{"kind":"ExternalMetricValueList","apiVersion":"external.metrics.k8s.io/v1beta1","metadata":{},"items":[{"metricName":"queue-depth","metricLabels":{},"timestamp":"2026-11-22T10:00:00Z","value":"1500m"}]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"kind":"Status","status":"Failure","reason":"NotFound"}`)
		}
	})
	k := querier(t, nil, analysis.Provider{Type: "keptn", Address: srv.URL})
	if v, err := k.Query(context.Background(), "KeptnMetric/keptn-system/podinfo-errors\n", time.Time{}); err != nil || v != 0.35 {
		t.Errorf("keptn Query = %v, %v", v, err)
	}
	if _, err := k.Query(context.Background(), "keptnmetric/keptn-system/fresh", time.Time{}); !errors.Is(err, analysis.ErrNoValuesFound) {
		t.Errorf("keptn metric without value: %v", err)
	}
	if err := online(t, k); err != nil {
		t.Errorf("keptn IsOnline: %v", err)
	}
	em := querier(t, creds{"istio-system/kube": {"token": "kube-token"}}, analysis.Provider{Type: "externalmetrics", Address: srv.URL, SecretRef: &analysis.SecretRef{Name: "kube"}})
	if v, err := em.Query(context.Background(), "test/queue-depth?labelSelector=app%3Dpodinfo", time.Time{}); err != nil || v != 1.5 {
		t.Errorf("externalmetrics Query = %v, %v", v, err)
	}
	if err := online(t, em); err != nil {
		t.Errorf("externalmetrics IsOnline (404 for the dummy metric is online): %v", err)
	}
}
