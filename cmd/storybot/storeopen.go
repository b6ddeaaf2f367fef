package main

import (
	"context"
	"errors"
	"regexp"
	"strings"

	cmds "github.com/storybot/storybot/commands"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storybot/storybot/feed"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/ingest"
	"github.com/storybot/storybot/store/postgres"
	"github.com/storybot/storybot/store/sqlite"
)

// storyStore is what the commands need of a store. Both backends have it:
// SQLite for one process, PostgreSQL for replicas sharing a database.
type storyStore interface {
	cmds.Library // Get, Search, Latest, Titles, SearchAny, DocFreq
	ingest.Putter
	generate.Cache
	feedStore
	Count(ctx context.Context) (int, error)
	Ping(ctx context.Context) error
	Close() error
}

var (
	_ storyStore = (*sqlite.DB)(nil)
	_ storyStore = (*postgres.DB)(nil)
	// Replicas sharing PostgreSQL make one model call per summary.
	_ generate.KeyLocker = (*postgres.DB)(nil)
	// and read the feeds one at a time.
	_ feed.Locker = (*postgres.DB)(nil)
)

// open opens the store --db or DATABASE_URL names: PostgreSQL for a
// postgres:// or postgresql:// URL, else a SQLite file. Errors never show
// a password.
func (sf *storeFlags) open(ctx context.Context, env *Env) (storyStore, error) {
	v, from := sf.setting(env)
	if isPostgres(v) {
		db, err := postgres.Open(ctx, v)
		var perr *pgconn.ParseConfigError
		if errors.As(err, &perr) {
			return nil, usagef("%s: %v", from, err)
		}
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	path, err := sqlitePath(v, from)
	if err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, path)
}

// defaultDB is where the store lives unless DATABASE_URL or --db says otherwise.
const defaultDB = "data/storybot.db"

// setting returns the store the user named, and where: the --db flag,
// else DATABASE_URL (defaultDB when unset).
func (sf *storeFlags) setting(env *Env) (v, from string) {
	if sf.db != "" {
		return sf.db, "--db"
	}
	return env.cfg.DB, "DATABASE_URL"
}

// isPostgres reports whether a --db or DATABASE_URL value names a
// PostgreSQL server rather than a SQLite file: a postgres:// or
// postgresql:// URL, or PostgreSQL's keyword form ("host=db user=me
// password=… dbname=stories"), which pgx reads as well. A keyword-form
// address is never taken for a file name.
func isPostgres(v string) bool {
	lower := strings.ToLower(strings.TrimSpace(v))
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") || pgKeywords.MatchString(v)
}

// pgKeywords matches the start of a keyword-form PostgreSQL address.
var pgKeywords = regexp.MustCompile(`(?i)^\s*(?:host|hostaddr|port|dbname|user|password|sslmode|service|passfile|connect_timeout|application_name)\s*=`)

// pgKeywordPassword matches a password in a keyword-form address, quoted or
// not.
var pgKeywordPassword = regexp.MustCompile(`(?i)(\b(?:ssl)?password\s*=\s*)(?:'(?:[^'\\]|\\.)*'|\S*)`)

// sqlitePath returns the SQLite file v, the value of from (--db or
// DATABASE_URL), names: a path or a sqlite: / file: URL.
func sqlitePath(v, from string) (string, error) {
	given, lower := v, strings.ToLower(v)
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
		return "", usagef("%s: no file path in %q", from, redactURL(given))
	}
	return v, nil
}

// redactURL hides any password in a URL-like string before it is shown:
// the user information before "@", and a password= parameter.
func redactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		// PostgreSQL's keyword form, or no URL at all.
		return pgKeywordPassword.ReplaceAllString(s, "${1}REDACTED")
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
	return scheme + "://" + rest
}
