// Package postgres is storybot's shared store: PostgreSQL, for several
// storybot processes (replicas) serving one community from one database. It
// offers what package sqlite offers, with the same story IDs, outcomes and
// search rules, and a summary cache that every replica shares, with a lock
// per cache key (LockKey) so that replicas make one model call per summary.
//
// It talks to the server through pgx's own interface and pgxpool rather than
// database/sql: statements are prepared and cached per connection without
// extra code, and a summary key lock needs a session of its own for as long
// as the model writes (PostgreSQL's advisory locks belong to a session),
// which pgx opens directly, with its lock wait cancelled on the server when
// the caller gives up.
//
// The schema's migrations are embedded and applied on Open, in order, each
// recorded in schema_migrations, under an advisory lock so that replicas
// starting at once apply each exactly once. Tables are created in the first
// schema of the connection's search_path (add ?search_path=NAME to the URL
// to use another schema).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Advisory locks of the two-key form, (lockClass, what), which PostgreSQL
// keeps apart from the one-key locks of LockKey.
const (
	lockClass      = 0x73747279 // "stry"
	lockMigrations = 1          // held while the schema is brought up to date
	lockWrites     = 2          // held by every Put transaction: one writer at a time
)

// maxKeyLocks is how many summary key locks one DB holds or waits for at
// once, each on a connection of its own, apart from the pool that serves
// reads and writes: a slow model never starves autocomplete of connections.
const maxKeyLocks = 16

// DB is an open store.
type DB struct {
	pool     *pgxpool.Pool
	lockConn *pgx.ConnConfig // for the sessions of summary key locks (LockKey)
	lockSlot chan struct{}   // one a lock session: at most maxKeyLocks
	now      func() time.Time
}

// Open connects to the PostgreSQL database at connString (a postgres:// or
// postgresql:// URL) and brings its schema up to date. The pool holds up to
// four connections a CPU unless the URL sets pool_max_conns. Errors never
// hold the URL's password.
func Open(ctx context.Context, connString string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", scrub(err, connString))
	}
	if u, err := url.Parse(connString); err != nil || !u.Query().Has("pool_max_conns") {
		cfg.MaxConns = int32(4 * runtime.NumCPU())
	}
	lockConn := cfg.ConnConfig.Copy()
	// A lock wait that outlives its context is cancelled on the server too,
	// rather than left waiting in the lock's queue.
	lockConn.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: time.Second}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", Redact(connString), scrub(err, connString))
	}
	db := &DB{pool: pool, lockConn: lockConn, lockSlot: make(chan struct{}, maxKeyLocks), now: time.Now}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", Redact(connString), scrub(err, connString))
	}
	return db, nil
}

// Close closes the pool's connections, waiting for those in use. Summary
// key locks still held keep their own until unlocked. It always returns
// nil; the error is there for the interface every store shares.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping reports whether the store answers a query: a cheap check for a
// readiness probe.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	err := db.pool.QueryRow(ctx, "SELECT 1 FROM stories LIMIT 1").Scan(&one)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

// migrate applies the embedded migrations not yet in schema_migrations, each
// in its own transaction, holding an advisory lock meanwhile so that
// replicas starting together take turns.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Release()
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, lockClass, lockMigrations); err != nil {
		return fmt.Errorf("wait for other replicas' migrations: %w", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := c.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, lockClass, lockMigrations); err != nil {
			c.Conn().Close(ctx) // closing the session releases its locks
		}
	}()
	if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY,
		name    text        NOT NULL,
		applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var version int
	if err := c.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(names) {
		return fmt.Errorf("the database has schema version %d, newer than this storybot knows (%d): upgrade storybot", version, len(names))
	}
	for i := version; i < len(names); i++ {
		name := path.Base(names[i])
		src, err := migrations.ReadFile(names[i])
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(src)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, i+1, name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// Redact returns connString with any password replaced by xxxxx, fit for a
// message or a log line.
func Redact(connString string) string {
	if !strings.Contains(connString, "://") { // the keyword form: host=… password=…
		return keywordSecret.ReplaceAllString(connString, "${1}xxxxx")
	}
	u, err := url.Parse(connString)
	if err != nil {
		return "(an unreadable PostgreSQL URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	for _, k := range secretParams {
		if q.Has(k) {
			q.Set(k, "xxxxx")
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// secretParams are the connection parameters that hold secrets: the
// password, and the one that unlocks an encrypted client key.
var secretParams = []string{"password", "sslpassword"}

// keywordSecret matches a secret parameter of a keyword-form address and
// its value, quoted or not.
var keywordSecret = regexp.MustCompile(`(?i)(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)

// scrub returns err with every occurrence of connString's password hidden
// from its message (pgx already redacts its own; this is the belt to those
// braces). errors.Is and errors.As still see through it.
func scrub(err error, connString string) error {
	var secrets []string
	if !strings.Contains(connString, "://") { // the keyword form
		for _, m := range keywordSecret.FindAllStringSubmatch(connString, -1) {
			if pw := strings.Trim(m[2], "'"); pw != "" {
				secrets = append(secrets, pw, url.QueryEscape(pw), url.PathEscape(pw))
			}
		}
		if len(secrets) == 0 {
			return err
		}
		return &scrubbed{err: err, secrets: secrets}
	}
	u, perr := url.Parse(connString)
	if perr != nil {
		return err
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		secrets = append(secrets, pw, url.QueryEscape(pw), url.PathEscape(pw))
	}
	for _, k := range secretParams {
		if pw := u.Query().Get(k); pw != "" {
			secrets = append(secrets, pw, url.QueryEscape(pw))
		}
	}
	if len(secrets) == 0 {
		return err
	}
	return &scrubbed{err: err, secrets: secrets}
}

type scrubbed struct {
	err     error
	secrets []string
}

func (e *scrubbed) Error() string {
	msg := e.err.Error()
	for _, s := range e.secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}

func (e *scrubbed) Unwrap() error { return e.err }
