package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/store"
)

// storyColumns are the columns scanStory reads, in order.
const storyColumns = `s.id, s.title, s.body, s.url, s.author, s.source, s.published, s.updated, s.hash, s.ingested, s.changed`

type scanner interface{ Scan(dest ...any) error }

func scanStory(row scanner, extra ...any) (store.Story, error) {
	var s store.Story
	var published, ingested, changed int64
	var updated sql.NullInt64
	dest := append([]any{&s.ID, &s.Title, &s.Body, &s.URL, &s.Author, &s.Source,
		&published, &updated, &s.Hash, &ingested, &changed}, extra...)
	if err := row.Scan(dest...); err != nil {
		return store.Story{}, err
	}
	s.Published, s.Updated = fromUnix(published), fromNullUnix(updated)
	s.Ingested, s.Changed = fromUnix(ingested), fromUnix(changed)
	return s, nil
}

// Put stores a batch of articles in one transaction: either all of them are
// stored or, on error, none. An article already stored under the same URL (or,
// when either has no URL, the same title and published time) is updated in
// place and keeps its ID; one whose title and body are stored under another
// identity is a Duplicate and is not stored again.
func (db *DB) Put(ctx context.Context, as []article.Article) ([]store.PutResult, error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("put: %w", err)
	}
	defer tx.Rollback()
	b := &batch{db: db, tx: tx, now: unix(db.now()), reindex: map[int64]bool{}}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(n), 0) FROM stories`).Scan(&b.lastOld); err != nil {
		return nil, fmt.Errorf("put: %w", err)
	}
	res := make([]store.PutResult, len(as))
	for i, a := range as {
		if res[i], err = b.put(ctx, a); err != nil {
			return nil, fmt.Errorf("put %q: %w", a.Title, err)
		}
	}
	if err := b.index(ctx); err != nil {
		return nil, fmt.Errorf("put: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("put: commit: %w", err)
	}
	return res, nil
}

// batch is one Put's transaction. Changes to the full-text index wait for
// the end of the batch (see index).
type batch struct {
	db      *DB
	tx      *sql.Tx
	now     int64
	lastOld int64          // rows above this were added by this batch
	deletes []deletion     // stale index entries of updated rows
	reindex map[int64]bool // updated rows that were indexed before this batch
}

// deletion is what the external-content index needs to remove a row's entry:
// the exact values it was indexed with.
type deletion struct {
	n           int64
	title, body string
}

// index brings the full-text index up to date with the batch's changes.
func (b *batch) index(ctx context.Context) error {
	for _, d := range b.deletes {
		if _, err := b.tx.ExecContext(ctx, `INSERT INTO stories_fts(stories_fts, rowid, title, body) VALUES ('delete', ?, ?, ?)`,
			d.n, d.title, d.body); err != nil {
			return fmt.Errorf("unindex story: %w", err)
		}
	}
	for n := range b.reindex {
		if _, err := b.tx.ExecContext(ctx, `INSERT INTO stories_fts(rowid, title, body) SELECT n, title, body FROM stories WHERE n = ?`, n); err != nil {
			return fmt.Errorf("reindex story: %w", err)
		}
	}
	if _, err := b.tx.ExecContext(ctx, `INSERT INTO stories_fts(rowid, title, body) SELECT n, title, body FROM stories WHERE n > ?`, b.lastOld); err != nil {
		return fmt.Errorf("index stories: %w", err)
	}
	return nil
}

func (b *batch) put(ctx context.Context, a article.Article) (store.PutResult, error) {
	now := b.now
	hash := a.ContentHash()
	n, old, err := b.findSame(ctx, a)
	switch {
	case err == nil:
		if same(old, a, hash) {
			return store.PutResult{ID: old.ID, Outcome: store.Unchanged}, nil
		}
		url := a.URL
		if url == "" {
			url = old.URL // an update without a URL keeps the one we know
		}
		_, err := b.exec(ctx, `UPDATE stories SET title = ?, title_key = ?, body = ?, url = ?, author = ?,
			source = ?, published = ?, updated = ?, hash = ?, changed = ? WHERE id = ?`,
			a.Title, titleKey(a.Title), a.Body, url, a.Author, a.Source,
			unix(a.Published), nullUnix(a.Updated), hash, now, old.ID)
		if err != nil {
			return store.PutResult{}, fmt.Errorf("update %s: %w", old.ID, err)
		}
		if n <= b.lastOld && !b.reindex[n] {
			b.deletes = append(b.deletes, deletion{n: n, title: old.Title, body: old.Body})
			b.reindex[n] = true
		}
		return store.PutResult{ID: old.ID, Outcome: store.Updated}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return store.PutResult{}, err
	}

	var dupID string
	err = b.queryRow(ctx, `SELECT id FROM stories WHERE hash = ? LIMIT 1`, hash).Scan(&dupID)
	switch {
	case err == nil:
		return store.PutResult{ID: dupID, Outcome: store.Duplicate}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return store.PutResult{}, fmt.Errorf("look up hash: %w", err)
	}

	// The first ID candidate that is free: "ON CONFLICT DO NOTHING" inserts
	// nothing when another story has it, and the next, longer one is tried.
	for _, id := range store.NewID(a) {
		res, err := b.exec(ctx, `INSERT INTO stories (id, title, title_key, body, url, author, source,
			published, updated, hash, ingested, changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`,
			id, a.Title, titleKey(a.Title), a.Body, a.URL, a.Author, a.Source,
			unix(a.Published), nullUnix(a.Updated), hash, now, now)
		if err != nil {
			return store.PutResult{}, fmt.Errorf("insert: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return store.PutResult{}, fmt.Errorf("insert: %w", err)
		} else if n == 1 {
			return store.PutResult{ID: id, Outcome: store.Added}, nil
		}
	}
	return store.PutResult{}, errors.New("insert: no free story ID") // 45 candidates from a 256-bit hash all taken: cannot happen
}

// findSame returns the stored story that a is a version of, and its row
// number, or sql.ErrNoRows.
func (b *batch) findSame(ctx context.Context, a article.Article) (int64, store.Story, error) {
	var n int64
	if a.URL != "" {
		// "url <> ''" lets SQLite use the partial index on url.
		s, err := scanStory(b.queryRow(ctx, `SELECT `+storyColumns+`, s.n FROM stories s
			WHERE s.url = ? AND s.url <> ''`, a.URL), &n)
		if !errors.Is(err, sql.ErrNoRows) {
			return n, s, err
		}
	}
	// Without a URL on one side, the same title and time is the same story.
	s, err := scanStory(b.queryRow(ctx, `SELECT `+storyColumns+`, s.n FROM stories s
		WHERE s.title_key = ? AND s.published = ? AND s.title = ? AND (s.url = '' OR ? = '') LIMIT 1`,
		titleKey(a.Title), unix(a.Published), a.Title, a.URL), &n)
	return n, s, err
}

// same reports whether storing a would change nothing that matters: the
// same story read from another file is not a change.
func same(old store.Story, a article.Article, hash string) bool {
	return old.Hash == hash && old.Author == a.Author &&
		(old.URL == a.URL || a.URL == "") &&
		old.Published.Equal(a.Published.Truncate(1e9)) && old.Updated.Equal(a.Updated.Truncate(1e9))
}

// exec and queryRow run a statement of the put path in the batch's
// transaction, prepared once per database rather than once per article.
func (b *batch) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := b.db.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return b.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

func (b *batch) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := b.db.prepared(ctx, query)
	if err != nil {
		// Let the error surface from Scan, as QueryRow's own errors do.
		return b.tx.QueryRowContext(ctx, query, args...)
	}
	return b.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}
