package feed

import (
	"net/url"
	"strings"
)

// secretParams are parts of query parameter names whose values redact
// hides: a private feed's URL often carries its key.
var secretParams = []string{"token", "key", "secret", "pass", "auth", "sig", "credential"}

// Redact returns rawURL fit for logs, errors and output: its user information and
// the values of query parameters whose names look secret (token, api_key,
// password, auth, sig, signature…) replaced by REDACTED. A URL that does
// not parse is not shown.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(a URL that does not parse)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		params := strings.Split(u.RawQuery, "&")
		for i, p := range params {
			raw, _, hasValue := strings.Cut(p, "=")
			name, err := url.QueryUnescape(raw)
			if err != nil {
				name = raw
			}
			if hasValue && looksSecret(name) {
				params[i] = raw + "=REDACTED"
			}
		}
		u.RawQuery = strings.Join(params, "&")
	}
	return u.String()
}

func looksSecret(name string) bool {
	name = strings.ToLower(name)
	for _, s := range secretParams {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}
