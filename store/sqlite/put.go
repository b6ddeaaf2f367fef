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
	res := make([]store.PutResult, len(as))
	now := unix(db.now())
	for i, a := range as {
		if res[i], err = put(ctx, tx, a, now); err != nil {
			return nil, fmt.Errorf("put %q: %w", a.Title, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("put: commit: %w", err)
	}
	return res, nil
}

func put(ctx context.Context, tx *sql.Tx, a article.Article, now int64) (store.PutResult, error) {
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
		_, err := tx.ExecContext(ctx, `UPDATE stories SET title = ?, title_key = ?, body = ?, url = ?, author = ?,
			source = ?, published = ?, updated = ?, hash = ?, changed = ? WHERE id = ?`,
			a.Title, titleKey(a.Title), a.Body, url, a.Author, a.Source,
			unix(a.Published), nullUnix(a.Updated), hash, now, old.ID)
		if err != nil {
			return store.PutResult{}, fmt.Errorf("update %s: %w", old.ID, err)
		}
		return store.PutResult{ID: old.ID, Outcome: store.Updated}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return store.PutResult{}, err
	}

	var dupID string
	err = tx.QueryRowContext(ctx, `SELECT id FROM stories WHERE hash = ? LIMIT 1`, hash).Scan(&dupID)
	switch {
	case err == nil:
		return store.PutResult{ID: dupID, Outcome: store.Duplicate}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return store.PutResult{}, fmt.Errorf("look up hash: %w", err)
	}

	id, err := freeID(ctx, tx, a)
	if err != nil {
		return store.PutResult{}, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO stories (id, title, title_key, body, url, author, source,
		published, updated, hash, ingested, changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, a.Title, titleKey(a.Title), a.Body, a.URL, a.Author, a.Source,
		unix(a.Published), nullUnix(a.Updated), hash, now, now)
	if err != nil {
		return store.PutResult{}, fmt.Errorf("insert: %w", err)
	}
	return store.PutResult{ID: id, Outcome: store.Added}, nil
}

// findSame returns the stored story that a is a version of, or sql.ErrNoRows.
func findSame(ctx context.Context, tx *sql.Tx, a article.Article) (store.Story, error) {
	if a.URL != "" {
		s, err := scanStory(tx.QueryRowContext(ctx, `SELECT `+storyColumns+` FROM stories s WHERE s.url = ?`, a.URL))
		if !errors.Is(err, sql.ErrNoRows) {
			return s, err
		}
	}
	// Without a URL on one side, the same title and time is the same story.
	return scanStory(tx.QueryRowContext(ctx, `SELECT `+storyColumns+` FROM stories s
		WHERE s.title = ? AND s.published = ? AND (s.url = '' OR ? = '') LIMIT 1`,
		a.Title, unix(a.Published), a.URL))
}

// same reports whether storing a would change nothing.
func same(old store.Story, a article.Article, hash string) bool {
	return old.Hash == hash && old.Author == a.Author && old.Source == a.Source &&
		(old.URL == a.URL || a.URL == "") &&
		old.Published.Equal(a.Published.Truncate(1e9)) && old.Updated.Equal(a.Updated.Truncate(1e9))
}

// freeID returns the shortest of the article's ID candidates not yet taken.
func freeID(ctx context.Context, tx *sql.Tx, a article.Article) (string, error) {
	for _, id := range store.NewID(a) {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM stories WHERE id = ?`, id).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return id, nil
		}
		if err != nil {
			return "", fmt.Errorf("look up id: %w", err)
		}
	}
	return "", errors.New("no free story ID") // 45 candidates from a 256-bit hash all taken: cannot happen
}
