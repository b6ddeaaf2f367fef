package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/storybot/storybot/store"
)

// Get returns the story with the given ID (any case, surrounding space ignored),
// or store.ErrNotFound.
func (db *DB) Get(ctx context.Context, id string) (store.Story, error) {
	s, err := scanStory(db.queryRow(ctx, `SELECT `+storyColumns+` FROM stories s WHERE s.id = ?`, store.NormalizeID(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Story{}, fmt.Errorf("story %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Story{}, fmt.Errorf("get story %q: %w", id, err)
	}
	return s, nil
}

// Count returns the number of stored stories.
func (db *DB) Count(ctx context.Context) (int, error) {
	var n int
	if err := db.queryRow(ctx, `SELECT count(*) FROM stories`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count stories: %w", err)
	}
	return n, nil
}

// Latest returns up to limit stories' titles, newest first.
func (db *DB) Latest(ctx context.Context, limit int) ([]store.Title, error) {
	rows, err := db.query(ctx, `SELECT id, title, published FROM stories
		ORDER BY published DESC, n DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("latest stories: %w", err)
	}
	return scanTitles(rows, nil)
}

// Titles returns up to limit stories whose title starts with prefix (ignoring
// case), then, to fill the list, stories with title words starting with each
// of prefix's words, newest first. An empty prefix gives the latest stories.
// It is the lookup behind autocomplete, so it never scans the whole table.
func (db *DB) Titles(ctx context.Context, prefix string, limit int) ([]store.Title, error) {
	key := titleKey(strings.TrimLeft(prefix, " "))
	if strings.TrimSpace(key) == "" {
		return db.Latest(ctx, limit)
	}
	// 0xFF never occurs in UTF-8, so key+"\xff" bounds every string that starts with key.
	rows, err := db.query(ctx, `SELECT id, title, published FROM stories
		WHERE title_key >= ? AND title_key < ? ORDER BY title_key LIMIT ?`, key, key+"\xff", limit)
	if err != nil {
		return nil, fmt.Errorf("title lookup: %w", err)
	}
	seen := map[string]bool{}
	ts, err := scanTitles(rows, seen)
	if err != nil || len(ts) >= limit {
		return ts, err
	}
	terms := store.Terms(prefix)
	if len(terms) == 0 {
		return ts, nil
	}
	for i, t := range terms {
		terms[i] = `"` + t + `"*`
	}
	rows, err = db.query(ctx, `SELECT s.id, s.title, s.published FROM stories_fts f
		JOIN stories s ON s.n = f.rowid
		WHERE stories_fts MATCH ? ORDER BY f.rowid DESC LIMIT ?`,
		"{title} : ("+strings.Join(terms, " AND ")+")", limit)
	if err != nil {
		return nil, fmt.Errorf("title word lookup: %w", err)
	}
	more, err := scanTitles(rows, seen)
	if err != nil {
		return nil, err
	}
	ts = append(ts, more...)
	if len(ts) > limit {
		ts = ts[:limit]
	}
	return ts, nil
}

// scanTitles reads id, title, published rows, skipping IDs already in seen
// (when seen is not nil) and adding the rest to it.
func scanTitles(rows *sql.Rows, seen map[string]bool) ([]store.Title, error) {
	defer rows.Close()
	var ts []store.Title
	for rows.Next() {
		var t store.Title
		var published int64
		if err := rows.Scan(&t.ID, &t.Title, &published); err != nil {
			return nil, fmt.Errorf("read titles: %w", err)
		}
		t.Published = fromUnix(published)
		if seen != nil {
			if seen[t.ID] {
				continue
			}
			seen[t.ID] = true
		}
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read titles: %w", err)
	}
	return ts, nil
}

// Search returns up to limit stories matching query, best first, ranked by
// BM25 over title and body (a title match weighs more). Stories must contain
// every word of the query, common words aside; when none does, stories with
// any of them are returned.
//
// Words found in many stories (see dropCommon) are left out of the query when it
// has rarer ones: BM25 gives such words next to no weight, and matching them
// is what makes a query slow. A query of such words alone returns the newest
// stories that contain them all.
func (db *DB) Search(ctx context.Context, query string, limit int) ([]store.Hit, error) {
	return store.Search(ctx, query, limit, db.dropCommon, db.find)
}

// find runs one full-text query for terms: all of them, or any.
func (db *DB) find(ctx context.Context, terms []string, any, rank bool, limit int) ([]store.Hit, error) {
	if any {
		return db.search(ctx, matchAny(terms), limit, rank)
	}
	return db.search(ctx, matchAll(terms), limit, rank)
}

func quote(terms []string) []string {
	q := make([]string, len(terms))
	for i, t := range terms {
		q[i] = `"` + t + `"` // terms are letters and digits only: nothing to escape
	}
	return q
}

func matchAll(terms []string) string { return strings.Join(quote(terms), " AND ") }
func matchAny(terms []string) string { return strings.Join(quote(terms), " OR ") }

// commonSample is how many of the newest stories common looks at, and
// minStories how many a store must hold before any word counts as common.
const commonSample, minStories = 1000, 200

// dropCommon returns terms without the common ones: those in more than a
// quarter of the newest commonSample stories (BM25 weighs such a word less
// than a third of a rare one, and ranking by it means counting every story
// that has it). It costs one bounded index lookup a term.
func (db *DB) dropCommon(ctx context.Context, terms []string) ([]string, error) {
	var last sql.NullInt64
	if err := db.queryRow(ctx, `SELECT max(n) FROM stories`).Scan(&last); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if last.Int64 < minStories {
		return terms, nil
	}
	var rare []string
	for _, t := range terms {
		var n int
		if err := db.queryRow(ctx, `SELECT count(*) FROM stories_fts WHERE stories_fts MATCH ? AND rowid > ?`,
			matchAll([]string{t}), last.Int64-commonSample).Scan(&n); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		if 4*n <= commonSample {
			rare = append(rare, t)
		}
	}
	return rare, nil
}

// Column weights for BM25: a word in the title counts as much as several in the body.
const titleWeight, bodyWeight = 4.0, 1.0

// rankWindow bounds the work of ranking: when more stories than this match a
// query, only the rankWindow most recently added matches are ranked. BM25
// costs time for every matching story, and a query that matches thousands of
// them is broad enough that the newest are what a news reader wants.
const rankWindow = 1000

// search runs one full-text query: ranked by BM25 when rank is set, else
// newest first.
func (db *DB) search(ctx context.Context, match string, limit int, rank bool) ([]store.Hit, error) {
	var rows *sql.Rows
	var err error
	if rank {
		// The oldest row among the newest rankWindow matches: reading rowids in
		// descending order stops after rankWindow, without ranking anything.
		var floor sql.NullInt64
		if err := db.queryRow(ctx, `SELECT min(rowid) FROM (SELECT rowid FROM stories_fts
			WHERE stories_fts MATCH ? ORDER BY rowid DESC LIMIT ?)`, match, rankWindow).Scan(&floor); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		if !floor.Valid {
			return nil, nil // no match
		}
		rows, err = db.query(ctx, `SELECT `+storyColumns+`, r.score, snippet(stories_fts, 1, '', '', '…', 16)
			FROM (SELECT rowid, bm25(stories_fts, ?, ?) AS score FROM stories_fts
				WHERE stories_fts MATCH ? AND rowid >= ? ORDER BY score LIMIT ?) r
			JOIN stories_fts ON stories_fts.rowid = r.rowid AND stories_fts MATCH ?
			JOIN stories s ON s.n = r.rowid
			ORDER BY r.score`, titleWeight, bodyWeight, match, floor.Int64, limit, match)
	} else {
		// No bm25 here: it would count every story holding each word.
		rows, err = db.query(ctx, `SELECT `+storyColumns+`, 0, snippet(stories_fts, 1, '', '', '…', 16)
			FROM stories_fts JOIN stories s ON s.n = stories_fts.rowid
			WHERE stories_fts MATCH ? ORDER BY stories_fts.rowid DESC LIMIT ?`, match, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var hits []store.Hit
	for rows.Next() {
		var h store.Hit
		if h.Story, err = scanStory(rows, &h.Score, &h.Snippet); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return hits, nil
}
