// Package sqlite is storybot's embedded store: one SQLite file (through the
// pure-Go modernc.org/sqlite driver, so no cgo), in WAL mode, with its schema
// migrations embedded and applied on open and an FTS5 full-text index.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open store.
type DB struct {
	db  *sql.DB
	now func() time.Time

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // see prepared
}

// query and queryRow run a read with a statement prepared once (see
// prepared): parsing the search statements costs more than running them.
func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := db.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := db.prepared(ctx, query)
	if err != nil {
		return db.db.QueryRowContext(ctx, query, args...) // Scan reports the error
	}
	return st.QueryRowContext(ctx, args...)
}

// prepared returns query prepared on the database, preparing it on first use.
func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if st := db.stmts[query]; st != nil {
		return st, nil
	}
	st, err := db.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if db.stmts == nil {
		db.stmts = map[string]*sql.Stmt{}
	}
	db.stmts[query] = st
	return st, nil
}

// Open opens the database file at path, creating it and its folder if needed,
// and brings its schema up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("open store: no database path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	q := url.Values{}
	for _, p := range []string{
		"busy_timeout(10000)", // wait for another writer instead of failing
		"journal_mode(WAL)",   // readers never block the writer
		"synchronous(NORMAL)", // safe with WAL: a crash loses no committed transaction, a power cut may lose the last
		"foreign_keys(ON)",
		"cache_size(-8000)", // 8 MB page cache
		"temp_store(MEMORY)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate") // write transactions take the lock up front: no deadlocks on upgrade
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// Keep connections open between bursts: each new one runs the pragmas
	// above. Reads run in parallel (WAL); more than a few per core only queue.
	sqldb.SetMaxOpenConns(4 * runtime.NumCPU())
	sqldb.SetMaxIdleConns(4 * runtime.NumCPU())
	db := &DB{db: sqldb, now: time.Now}
	if err := db.migrateRetrying(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	db.mu.Lock()
	for _, st := range db.stmts {
		st.Close()
	}
	db.stmts = nil
	db.mu.Unlock()
	return db.db.Close()
}

// migrateBusyFor bounds how long Open retries a migration that found the
// database busy.
const migrateBusyFor = 10 * time.Second

// migrateRetrying is migrate, tried again while the database is busy: when
// several processes create a new database at once, SQLite can answer
// SQLITE_BUSY at once, without its busy timeout, while another one
// switches the file to WAL or applies a migration.
func (db *DB) migrateRetrying(ctx context.Context) error {
	deadline := time.Now().Add(migrateBusyFor)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := db.migrate(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (5) or SQLITE_LOCKED
// (6), primary or extended.
func isBusy(err error) bool {
	var se interface{ Code() int }
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code() & 0xff
	return c == 5 || c == 6
}

// migrate applies the embedded migrations newer than the database's
// user_version, each in its own write transaction. The version is read
// again inside each transaction, which holds the write lock from its start
// (_txlock=immediate): two processes opening a new or older database at
// once apply each migration once, the second finding it done.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	version, err := db.version(ctx, db.db)
	if err != nil {
		return err
	}
	for version < len(names) {
		if version, err = db.migrateOne(ctx, names); err != nil {
			return err
		}
	}
	if version > len(names) {
		return fmt.Errorf("the database has schema version %d, newer than this storybot knows (%d): upgrade storybot", version, len(names))
	}
	return nil
}

// migrateOne applies the migration after the database's version, if there
// is one, and returns the version it leaves.
func (db *DB) migrateOne(ctx context.Context, names []string) (int, error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	version, err := db.version(ctx, tx)
	if err != nil || version >= len(names) {
		return version, err
	}
	name := filepath.Base(names[version])
	src, err := migrations.ReadFile(names[version])
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, string(src)); err != nil {
		return 0, fmt.Errorf("migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version+1)); err != nil {
		return 0, fmt.Errorf("migration %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("migration %s: %w", name, err)
	}
	return version + 1, nil
}

// version reads the schema version.
func (db *DB) version(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version (is this a storybot database?): %w", err)
	}
	return v, nil
}

// Check runs SQLite's integrity check and the full-text index's own, and
// returns an error describing the first problem found.
func (db *DB) Check(ctx context.Context) error {
	var res string
	if err := db.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	if _, err := db.db.ExecContext(ctx, "INSERT INTO stories_fts(stories_fts) VALUES ('integrity-check')"); err != nil {
		return fmt.Errorf("full-text index check: %w", err)
	}
	return nil
}

func unix(t time.Time) int64 { return t.UTC().Unix() }

func fromUnix(s int64) time.Time { return time.Unix(s, 0).UTC() }

func nullUnix(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: unix(t), Valid: true}
}

func fromNullUnix(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromUnix(n.Int64)
}

// titleKey is the form of a title that prefix lookups compare.
func titleKey(title string) string { return strings.ToLower(title) }
