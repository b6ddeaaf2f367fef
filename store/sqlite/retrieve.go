package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/storybot/storybot/store"
)

// SearchAny returns up to limit stories holding any of terms (lower-case
// words, as store.Terms gives), best first, ranked by BM25 over title and
// body: the broad search behind /ask's retrieval, where Search wants every
// word. Unlike Search it leaves no word out: the caller chooses the words
// (see DocFreq). When more than 1,000 stories match, only the 1,000 most
// recently added are ranked, as in Search. Hits carry no snippet.
func (db *DB) SearchAny(ctx context.Context, terms []string, limit int) ([]store.Hit, error) {
	terms = store.Terms(strings.Join(terms, " ")) // letters and digits only: safe to quote
	if len(terms) == 0 || limit <= 0 {
		return nil, nil
	}
	match := matchAny(terms)
	var floor sql.NullInt64
	if err := db.queryRow(ctx, `SELECT min(rowid) FROM (SELECT rowid FROM stories_fts
		WHERE stories_fts MATCH ? ORDER BY rowid DESC LIMIT ?)`, match, rankWindow).Scan(&floor); err != nil {
		return nil, fmt.Errorf("search any: %w", err)
	}
	if !floor.Valid {
		return nil, nil // no match
	}
	rows, err := db.query(ctx, `SELECT `+storyColumns+`, r.score
		FROM (SELECT rowid, bm25(stories_fts, ?, ?) AS score FROM stories_fts
			WHERE stories_fts MATCH ? AND rowid >= ? ORDER BY score LIMIT ?) r
		JOIN stories s ON s.n = r.rowid
		ORDER BY r.score`, titleWeight, bodyWeight, match, floor.Int64, limit)
	if err != nil {
		return nil, fmt.Errorf("search any: %w", err)
	}
	defer rows.Close()
	var hits []store.Hit
	for rows.Next() {
		var h store.Hit
		if h.Story, err = scanStory(rows, &h.Score); err != nil {
			return nil, fmt.Errorf("search any: %w", err)
		}
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search any: %w", err)
	}
	return hits, nil
}

// DocFreq returns how many of the newest stories (a sample of up to 1,000)
// hold each of terms, stemmed as the index stems them: the document
// frequencies a caller needs to weigh words by BM25's IDF, or to leave out
// words too common to search by, without counting the whole store. It
// costs one bounded index lookup a term.
func (db *DB) DocFreq(ctx context.Context, terms []string) (store.DocFreq, error) {
	// Not count(*) over stories: that reads the whole table.
	var last, sample sql.NullInt64
	if err := db.queryRow(ctx, `SELECT max(n), count(*) FROM (SELECT n FROM stories ORDER BY n DESC LIMIT ?)`,
		commonSample).Scan(&last, &sample); err != nil {
		return store.DocFreq{}, fmt.Errorf("word counts: %w", err)
	}
	df := store.DocFreq{Stories: int(sample.Int64), Counts: make(map[string]int, len(terms))}
	for _, t := range store.Terms(strings.Join(terms, " ")) {
		if _, ok := df.Counts[t]; ok {
			continue
		}
		var n int
		if err := db.queryRow(ctx, `SELECT count(*) FROM stories_fts WHERE stories_fts MATCH ? AND rowid > ?`,
			matchAll([]string{t}), last.Int64-commonSample).Scan(&n); err != nil {
			return store.DocFreq{}, fmt.Errorf("word counts: %w", err)
		}
		df.Counts[t] = n
	}
	return df, nil
}
