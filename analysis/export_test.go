package analysis

import (
	"net/http"
	"time"
)

// SignV4ForTest signs a GET of url and returns its Authorization header.
func SignV4ForTest(url, keyID, secret, region, service string, t time.Time) string {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	signV4(req, nil, awsCredentials{AccessKeyID: keyID, SecretAccessKey: secret}, region, service, t)
	return req.Header.Get("Authorization")
}
