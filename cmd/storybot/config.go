package main

import (
	"fmt"
	"strings"
)

// defaultDB is where the store lives unless DATABASE_URL or --db says otherwise.
const defaultDB = "data/storybot.db"

// dbSetting returns the store the user named, and where: the --db flag,
// else DATABASE_URL; empty when neither is set.
func dbSetting(flagValue string, getenv func(string) string) (v, from string) {
	if flagValue != "" {
		return flagValue, "--db"
	}
	return strings.TrimSpace(getenv("DATABASE_URL")), "DATABASE_URL"
}

// isPostgres reports whether a --db or DATABASE_URL value names a
// PostgreSQL server (postgres:// or postgresql://) rather than a SQLite file.
func isPostgres(v string) bool {
	lower := strings.ToLower(strings.TrimSpace(v))
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

// dbPath returns the SQLite file to use: the --db flag, else DATABASE_URL,
// else the default. DATABASE_URL may be a path or a sqlite: / file: URL; a
// PostgreSQL URL is an error here (see storeFlags.open for the commands
// that take either).
func dbPath(flagValue string, getenv func(string) string) (string, error) {
	v, from := dbSetting(flagValue, getenv)
	if v == "" {
		return defaultDB, nil
	}
	lower := strings.ToLower(v)
	switch {
	case isPostgres(v):
		return "", usagef("%s: %s is a PostgreSQL server, and this needs a SQLite file", from, redactURL(v))
	case strings.HasPrefix(lower, "sqlite://"):
		v = v[len("sqlite://"):]
	case strings.HasPrefix(lower, "sqlite:"):
		v = v[len("sqlite:"):]
	case strings.HasPrefix(lower, "file:"):
		v = v[len("file:"):]
	case strings.Contains(v, "://"):
		return "", usagef("%s: %q is not a SQLite file path or sqlite: URL", from, redactURL(v))
	}
	if i := strings.IndexByte(v, '?'); i >= 0 {
		v = v[:i]
	}
	if v == "" {
		return "", usagef("%s: no file path in %q", from, v)
	}
	return v, nil
}

// redactURL hides any password in a URL-like string before it is shown:
// the user information before "@", and a password= parameter.
func redactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = "REDACTED@" + rest[at+1:]
	}
	// password= and sslpassword= (the key to an encrypted client key), each
	// time they occur.
	for from := 0; ; {
		i := strings.Index(strings.ToLower(rest[from:]), "password=")
		if i < 0 {
			break
		}
		i += from + len("password=")
		end := strings.IndexByte(rest[i:], '&')
		if end < 0 {
			end = len(rest) - i
		}
		rest = rest[:i] + "REDACTED" + rest[i+end:]
		from = i + len("REDACTED")
	}
	return fmt.Sprintf("%s://%s", scheme, rest)
}
