package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Ping reports whether the store answers a query: a cheap check for a
// readiness probe (Check is the thorough one).
func (db *DB) Ping(ctx context.Context) error {
	var one int
	err := db.db.QueryRowContext(ctx, "SELECT 1 FROM stories LIMIT 1").Scan(&one)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

// Backup writes a consistent copy of the store to path with VACUUM INTO: one
// compact SQLite file, without a WAL, that Open takes as it is. The store
// stays in use meanwhile. path must not exist yet; its folder must.
func (db *DB) Backup(ctx context.Context, path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("back up to %s: %w", path, fs.ErrExist)
	}
	if _, err := db.db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("back up to %s: %w", path, err)
	}
	return nil
}
