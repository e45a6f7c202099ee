package analysis

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"
)

// Google Cloud Monitoring (Stackdriver): the MQL query API
// (POST /v3/projects/<project>/timeSeries:query) over REST with an OAuth
// access token, instead of the gRPC client library.
const (
	stackdriverAddress    = "https://monitoring.googleapis.com"
	stackdriverScope      = "https://www.googleapis.com/auth/monitoring.read"
	stackdriverProjectKey = "project"
	stackdriverSAKey      = "serviceAccountKey"
	gceMetadataHost       = "metadata.google.internal"
)

// stackdriverType: the Secret holds "project" and, optionally,
// "serviceAccountKey" (a JSON key, exchanged for a token with a signed
// JWT). Without a key the token comes from the GKE metadata server
// (Workload Identity), as with Flagger.
var stackdriverType = providerType{
	name:           "stackdriver",
	keys:           []string{stackdriverProjectKey, stackdriverSAKey},
	secretRequired: true,
	sampling:       SampleChecks,
	build: func(c providerConfig) (Querier, error) {
		base, err := c.baseURL(stackdriverAddress)
		if err != nil {
			return nil, err
		}
		return &stackdriver{c: c, base: base}, nil
	},
}

// stackdriver returns the first value of the first point of the first
// time series, as Flagger does (an MQL query carries its own window: t is
// not used). No series or point is ErrNoValuesFound.
type stackdriver struct {
	c    providerConfig
	base string
}

type stackdriverAnswer struct {
	TimeSeriesData []struct {
		PointData []struct {
			Values []struct {
				DoubleValue *float64 `json:"doubleValue"`
				Int64Value  *string  `json:"int64Value"`
			} `json:"values"`
		} `json:"pointData"`
	} `json:"timeSeriesData"`
}

// Query implements Querier.
func (s *stackdriver) Query(ctx context.Context, query string, _ time.Time) (float64, error) {
	var a stackdriverAnswer
	if err := s.query(ctx, query, &a); err != nil {
		return 0, err
	}
	if len(a.TimeSeriesData) == 0 || len(a.TimeSeriesData[0].PointData) == 0 || len(a.TimeSeriesData[0].PointData[0].Values) == 0 {
		return 0, fmt.Errorf("no time series: %w", ErrNoValuesFound)
	}
	v := a.TimeSeriesData[0].PointData[0].Values[0]
	switch {
	case v.DoubleValue != nil:
		return *v.DoubleValue, nil
	case v.Int64Value != nil:
		return strconv.ParseFloat(*v.Int64Value, 64)
	}
	return 0, fmt.Errorf("point has no numeric value: %w", ErrNoValuesFound)
}

// IsOnline sends an empty query, as Flagger does: INVALID_ARGUMENT (400)
// means the API let the caller in.
func (s *stackdriver) IsOnline(ctx context.Context) error {
	err := s.query(ctx, "", &stackdriverAnswer{})
	var se *StatusError
	if errors.As(err, &se) && se.Code == http.StatusBadRequest {
		return nil
	}
	return err
}

func (s *stackdriver) query(ctx context.Context, query string, into any) error {
	project, err := s.c.key(stackdriverProjectKey)
	if err != nil {
		return err
	}
	token, err := s.token(ctx)
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]string{"query": query})
	if err != nil {
		return err
	}
	req, err := s.c.newRequest(ctx, http.MethodPost, s.base+"/v3/projects/"+url.PathEscape(project)+"/timeSeries:query", string(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if err := sendJSON(s.c.client, req, into); err != nil {
		return googleError(err)
	}
	return nil
}

// token returns an OAuth access token: from the service account key when
// the Secret has one, else from the metadata server.
func (s *stackdriver) token(ctx context.Context) (string, error) {
	key, ok, err := s.c.optionalKey(stackdriverSAKey)
	if err != nil {
		return "", err
	}
	if ok {
		return s.serviceAccountToken(ctx, key)
	}
	host := os.Getenv("GCE_METADATA_HOST")
	if host == "" {
		host = gceMetadataHost
	}
	req, err := s.c.newRequest(ctx, http.MethodGet, "http://"+host+"/computeMetadata/v1/instance/service-accounts/default/token", "")
	if err != nil {
		return "", err
	}
	req.Header.Set("Metadata-Flavor", "Google")
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := sendJSON(s.c.client, req, &t); err != nil {
		return "", fmt.Errorf("stackdriver: token from the metadata server (no serviceAccountKey in the Secret): %w", err)
	}
	return t.AccessToken, nil
}

// serviceAccountToken exchanges a JWT signed with the key for an access
// token (OAuth 2.0 JWT bearer grant, RFC 7523).
func (s *stackdriver) serviceAccountToken(ctx context.Context, keyJSON string) (string, error) {
	var k struct {
		ClientEmail  string `json:"client_email"`
		PrivateKey   string `json:"private_key"`
		PrivateKeyID string `json:"private_key_id"`
		TokenURI     string `json:"token_uri"`
	}
	if err := json.Unmarshal([]byte(keyJSON), &k); err != nil || k.ClientEmail == "" || k.PrivateKey == "" || k.TokenURI == "" {
		return "", errors.New("stackdriver: serviceAccountKey is not a service account JSON key (client_email, private_key, token_uri)")
	}
	block, _ := pem.Decode([]byte(k.PrivateKey))
	if block == nil {
		return "", errors.New("stackdriver: serviceAccountKey private_key is not PEM")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	}
	rsaKey, ok := parsed.(*rsa.PrivateKey)
	if err != nil || !ok {
		return "", errors.New("stackdriver: serviceAccountKey private_key is not an RSA key")
	}
	now := s.c.now()
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	unsigned := enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": k.PrivateKeyID}) + "." + enc(map[string]any{
		"iss": k.ClientEmail, "scope": stackdriverScope, "aud": k.TokenURI,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	sum := sha256.Sum256([]byte(unsigned))
	sig, err := rsa.SignPKCS1v15(nil, rsaKey, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("stackdriver: signing the token request: %w", err)
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {unsigned + "." + base64.RawURLEncoding.EncodeToString(sig)}}
	req, err := s.c.newRequest(ctx, http.MethodPost, k.TokenURI, form.Encode())
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := sendJSON(s.c.client, req, &t); err != nil {
		return "", fmt.Errorf("stackdriver: exchanging the service account key for a token: %w", err)
	}
	return t.AccessToken, nil
}

// googleError turns Google's {"error": {"code", "message", "status"}}
// answer into "STATUS: message".
func googleError(err error) error {
	var se *StatusError
	if !errors.As(err, &se) {
		return err
	}
	var a struct {
		Error struct {
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(se.raw), &a) != nil || a.Error.Message == "" {
		return err
	}
	return &StatusError{Code: se.Code, Body: a.Error.Status + ": " + a.Error.Message}
}
