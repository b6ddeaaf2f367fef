package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/storybot/storybot/store"
)

// Get returns the story with the given ID (any case, surrounding space ignored),
// or store.ErrNotFound.
func (db *DB) Get(ctx context.Context, id string) (store.Story, error) {
	s, err := scanStory(db.pool.QueryRow(ctx, `SELECT `+storyColumns+` FROM stories s WHERE s.id = $1`, storable(store.NormalizeID(id))))
	if errors.Is(err, pgx.ErrNoRows) {
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
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM stories`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count stories: %w", err)
	}
	return n, nil
}

// Latest returns up to limit stories' titles, newest first.
func (db *DB) Latest(ctx context.Context, limit int) ([]store.Title, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, title, published FROM stories
		ORDER BY published DESC, n DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("latest stories: %w", err)
	}
	return scanTitles(rows, nil)
}

// Titles returns up to limit stories whose title starts with prefix (ignoring
// case), then, to fill the list, stories with title words starting with each
// of prefix's words (after English stemming), newest first. An empty prefix
// gives the latest stories. It is the lookup behind autocomplete: both steps
// are index lookups.
func (db *DB) Titles(ctx context.Context, prefix string, limit int) ([]store.Title, error) {
	key := storable(titleKey(strings.TrimLeft(prefix, " ")))
	if strings.TrimSpace(key) == "" {
		return db.Latest(ctx, limit)
	}
	// title_key compares bytes (COLLATE "C"), and U+10FFFF is the greatest
	// character: key+U+10FFFF bounds every title that starts with key.
	rows, err := db.pool.Query(ctx, `SELECT id, title, published FROM stories
		WHERE title_key >= $1 AND title_key < $2 ORDER BY title_key LIMIT $3`, key, key+"\U0010FFFF", limit)
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
	q := make([]string, len(terms))
	for i, t := range terms {
		q[i] = "'" + t + "':*" // a prefix of a word of the title
	}
	rows, err = db.pool.Query(ctx, `SELECT id, title, published FROM stories
		WHERE title_words @@ to_tsquery('english', $1) ORDER BY n DESC LIMIT $2`, planEach, strings.Join(q, " & "), limit)
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

// storable returns s (what the user typed, or what a feed or a server
// sent) as PostgreSQL can take it as text: valid UTF-8 without NUL
// characters (no story holds either).
func storable(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
}

// scanTitles reads id, title, published rows, skipping IDs already in seen
// (when seen is not nil) and adding the rest to it.
func scanTitles(rows pgx.Rows, seen map[string]bool) ([]store.Title, error) {
	defer rows.Close()
	var ts []store.Title
	for rows.Next() {
		var t store.Title
		if err := rows.Scan(&t.ID, &t.Title, &t.Published); err != nil {
			return nil, fmt.Errorf("read titles: %w", err)
		}
		t.Published = t.Published.UTC()
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
// ts_rank over title and body (a title match weighs four times a body
// match), with English stemming. Stories must contain every word of the
// query, common words aside; when none does, stories with any of them are
// returned. A query of English stop words alone ("the of") matches nothing:
// the index leaves such words out.
//
// As in package sqlite, words found in many stories (see dropCommon) are left
// out of the query when it has rarer ones, a query of such words alone
// returns the newest stories that contain them all, and only the newest
// rankWindow matches are ranked.
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

// tsquery builds a to_tsquery text from terms joined by op. Terms are
// letters and digits only (store.Terms), so quoting needs no escapes.
func tsquery(terms []string, op string) string {
	q := make([]string, len(terms))
	for i, t := range terms {
		q[i] = "'" + t + "'"
	}
	return strings.Join(q, op)
}

func matchAll(terms []string) string { return tsquery(terms, " & ") }
func matchAny(terms []string) string { return tsquery(terms, " | ") }

// commonSample is how many of the newest stories dropCommon looks at, and
// minStories how many a store must hold before any word counts as common.
const commonSample, minStories = 1000, 200

// dropCommon returns terms without the common ones: those in more than a
// quarter of the newest commonSample stories. It costs one bounded lookup a
// term.
func (db *DB) dropCommon(ctx context.Context, terms []string) ([]string, error) {
	sample, floor, err := db.newest(ctx)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if sample < minStories {
		return terms, nil
	}
	var rare []string
	for _, t := range terms {
		n, err := db.countSince(ctx, floor, t)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		if 4*n <= sample {
			rare = append(rare, t)
		}
	}
	return rare, nil
}

// newest returns the size of the sample of newest stories that word counts
// are taken over (commonSample, or fewer in a small store) and the lowest
// row number in it.
func (db *DB) newest(ctx context.Context) (sample int, floor int64, err error) {
	err = db.pool.QueryRow(ctx, `SELECT count(*), coalesce(min(n), 0) FROM
		(SELECT n FROM stories ORDER BY n DESC LIMIT $1) newest`, commonSample).Scan(&sample, &floor)
	return sample, floor, err
}

// countSince returns how many stories from row number floor on hold term.
func (db *DB) countSince(ctx context.Context, floor int64, term string) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM stories WHERE n >= $1 AND search @@ to_tsquery('english', $2)`, planEach,
		floor, matchAll([]string{term})).Scan(&n)
	return n, err
}

// rankWeights are ts_rank's weights for D, C, B (the body) and A (the
// title): a word in the title counts four times one in the body, as in
// package sqlite. rankNormalization 1 divides by 1 + the log of the length,
// so a long story does not win by length alone.
var rankWeights = []float32{0.1, 0.1, 0.25, 1.0}

const rankNormalization int32 = 1

// planEach runs a full-text query as an unnamed statement, planned for
// its arguments each time: a prepared statement's generic plan, made
// without knowing how many stories the words match, can read every story
// to find a rare word.
const planEach = pgx.QueryExecModeExec

// rankWindow bounds the work of ranking: when more stories than this match a
// query, only the rankWindow most recently added matches are ranked.
const rankWindow = 1000

// headline is ts_headline's options for a hit's snippet: a few plain words
// of the body around the match.
const headline = `StartSel="", StopSel="", MaxWords=16, MinWords=8`

// search runs one full-text query: ranked when rank is set, else newest
// first. Score is the negated rank, so that lower is better as with
// SQLite's bm25.
func (db *DB) search(ctx context.Context, match string, limit int, rank bool) ([]store.Hit, error) {
	var rows pgx.Rows
	var err error
	// Ranks and snippets are computed for the rows kept only: the inner
	// queries select row numbers, and the outer one reads the rest.
	if rank {
		rows, err = db.pool.Query(ctx, `WITH q AS (SELECT to_tsquery('english', $1) AS q),
			newest AS (SELECT s.n FROM stories s, q WHERE s.search @@ q.q ORDER BY s.n DESC LIMIT $4),
			best AS (SELECT s.n, -ts_rank($2, s.search, q.q, $3)::float8 AS score
				FROM newest JOIN stories s ON s.n = newest.n, q ORDER BY score, s.n DESC LIMIT $5)
			SELECT `+storyColumns+`, best.score, ts_headline('english', s.body, q.q, $6)
			FROM best JOIN stories s ON s.n = best.n, q
			ORDER BY best.score, s.n DESC`, planEach,
			match, rankWeights, rankNormalization, rankWindow, limit, headline)
	} else {
		rows, err = db.pool.Query(ctx, `WITH q AS (SELECT to_tsquery('english', $1) AS q),
			newest AS (SELECT s.n FROM stories s, q WHERE s.search @@ q.q ORDER BY s.n DESC LIMIT $3)
			SELECT `+storyColumns+`, 0::float8, ts_headline('english', s.body, q.q, $2)
			FROM newest JOIN stories s ON s.n = newest.n, q ORDER BY s.n DESC`, planEach,
			match, headline, limit)
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
