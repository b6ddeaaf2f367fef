package main

import (
	"fmt"
	"strings"
)

// defaultDB is where the store lives unless DATABASE_URL or --db says otherwise.
const defaultDB = "data/storybot.db"

// dbPath returns the SQLite file to use: the --db flag, else DATABASE_URL,
// else the default. DATABASE_URL may be a path or a sqlite: / file: URL.
func dbPath(flagValue string, getenv func(string) string) (string, error) {
	v, from := flagValue, "--db"
	if v == "" {
		v, from = strings.TrimSpace(getenv("DATABASE_URL")), "DATABASE_URL"
	}
	if v == "" {
		return defaultDB, nil
	}
	lower := strings.ToLower(v)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return "", usagef("%s: PostgreSQL is not supported by this version of storybot yet; use a SQLite file path such as %s", from, defaultDB)
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

// redactURL hides any password in a URL-like string before it is shown.
func redactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		return fmt.Sprintf("%s://REDACTED@%s", scheme, rest[at+1:])
	}
	return s
}
