package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/store"
)

// storyColumns are the columns scanStory reads, in order.
const storyColumns = `s.id, s.title, s.body, s.url, s.author, s.source, s.published, s.updated, s.hash, s.ingested, s.changed`

func scanStory(row pgx.Row, extra ...any) (store.Story, error) {
	var s store.Story
	var updated *time.Time
	dest := append([]any{&s.ID, &s.Title, &s.Body, &s.URL, &s.Author, &s.Source,
		&s.Published, &updated, &s.Hash, &s.Ingested, &s.Changed}, extra...)
	if err := row.Scan(dest...); err != nil {
		return store.Story{}, err
	}
	s.Published, s.Ingested, s.Changed = s.Published.UTC(), s.Ingested.UTC(), s.Changed.UTC()
	if updated != nil {
		s.Updated = updated.UTC()
	}
	return s, nil
}

// Put stores a batch of articles in one transaction: either all of them are
// stored or, on error, none. An article already stored under the same URL (or,
// when either has no URL, the same title and published time) is updated in
// place and keeps its ID; one whose title and body are stored under another
// identity is a Duplicate and is not stored again. Times are stored in whole
// seconds, as package sqlite stores them.
//
// Batches are written one at a time, whichever replica writes them (an
// advisory lock): deciding whether an article is new and giving it the first
// free ID cannot race with another batch.
func (db *DB) Put(ctx context.Context, as []article.Article) ([]store.PutResult, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("put: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // a no-op after Commit
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockClass, lockWrites); err != nil {
		return nil, fmt.Errorf("put: wait for other writers: %w", err)
	}
	now := db.now().UTC().Truncate(time.Second)
	res := make([]store.PutResult, len(as))
	for i, a := range as {
		if res[i], err = put(ctx, tx, a, now); err != nil {
			return nil, fmt.Errorf("put %q: %w", a.Title, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("put: commit: %w", err)
	}
	return res, nil
}

func put(ctx context.Context, tx pgx.Tx, a article.Article, now time.Time) (store.PutResult, error) {
	hash := a.ContentHash()
	old, err := findSame(ctx, tx, a)
	switch {
	case err == nil:
		if same(old, a, hash) {
			return store.PutResult{ID: old.ID, Outcome: store.Unchanged}, nil
		}
		url := a.URL
		if url == "" {
			url = old.URL // an update without a URL keeps the one we know
		}
		_, err := tx.Exec(ctx, `UPDATE stories SET title = $1, title_key = $2, body = $3, url = $4, author = $5,
			source = $6, published = $7, updated = $8, hash = $9, changed = $10 WHERE id = $11`,
			a.Title, titleKey(a.Title), a.Body, url, a.Author, a.Source,
			seconds(a.Published), nullSeconds(a.Updated), hash, now, old.ID)
		if err != nil {
			return store.PutResult{}, fmt.Errorf("update %s: %w", old.ID, err)
		}
		return store.PutResult{ID: old.ID, Outcome: store.Updated}, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return store.PutResult{}, fmt.Errorf("look up: %w", err)
	}

	var dupID string
	err = tx.QueryRow(ctx, `SELECT id FROM stories WHERE hash = $1 LIMIT 1`, hash).Scan(&dupID)
	switch {
	case err == nil:
		return store.PutResult{ID: dupID, Outcome: store.Duplicate}, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return store.PutResult{}, fmt.Errorf("look up hash: %w", err)
	}

	// The first ID candidate that is free: "ON CONFLICT DO NOTHING" inserts
	// nothing when another story has it, and the next, longer one is tried.
	for _, id := range store.NewID(a) {
		tag, err := tx.Exec(ctx, `INSERT INTO stories (id, title, title_key, body, url, author, source,
			published, updated, hash, ingested, changed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
			ON CONFLICT (id) DO NOTHING`,
			id, a.Title, titleKey(a.Title), a.Body, a.URL, a.Author, a.Source,
			seconds(a.Published), nullSeconds(a.Updated), hash, now)
		if err != nil {
			return store.PutResult{}, fmt.Errorf("insert: %w", err)
		}
		if tag.RowsAffected() == 1 {
			return store.PutResult{ID: id, Outcome: store.Added}, nil
		}
	}
	return store.PutResult{}, errors.New("insert: no free story ID") // 45 candidates from a 256-bit hash all taken: cannot happen
}

// findSame returns the stored story that a is a version of, or pgx.ErrNoRows.
func findSame(ctx context.Context, tx pgx.Tx, a article.Article) (store.Story, error) {
	if a.URL != "" {
		s, err := scanStory(tx.QueryRow(ctx, `SELECT `+storyColumns+` FROM stories s
			WHERE s.url = $1 AND s.url <> ''`, a.URL))
		if !errors.Is(err, pgx.ErrNoRows) {
			return s, err
		}
	}
	// Without a URL on one side, the same title and time is the same story.
	return scanStory(tx.QueryRow(ctx, `SELECT `+storyColumns+` FROM stories s
		WHERE s.title_key = $1 AND s.published = $2 AND s.title = $3 AND (s.url = '' OR $4 = '') LIMIT 1`,
		titleKey(a.Title), seconds(a.Published), a.Title, a.URL))
}

// same reports whether storing a would change nothing that matters: the
// same story read from another file is not a change.
func same(old store.Story, a article.Article, hash string) bool {
	return old.Hash == hash && old.Author == a.Author &&
		(old.URL == a.URL || a.URL == "") &&
		old.Published.Equal(seconds(a.Published)) && old.Updated.Equal(seconds(a.Updated))
}

// seconds is t as stored: UTC, in whole seconds.
func seconds(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// nullSeconds is seconds(t), or NULL for the zero time.
func nullSeconds(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return seconds(t)
}

// titleKey is the form of a title that prefix lookups compare.
func titleKey(title string) string { return strings.ToLower(title) }
