package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/storybot/storybot/store"
)

// SearchAny returns up to limit stories holding any of terms (lower-case
// words, as store.Terms gives), best first, ranked as Search ranks them: the
// broad search behind /ask's retrieval, where Search wants every word. Unlike
// Search it leaves no word out: the caller chooses the words (see DocFreq).
func (db *DB) SearchAny(ctx context.Context, terms []string, limit int) ([]store.Hit, error) {
	terms = store.Terms(strings.Join(terms, " "))
	if len(terms) == 0 || limit <= 0 {
		return nil, nil
	}
	return db.search(ctx, matchAny(terms), limit, true)
}

// DocFreq returns how many of the newest stories (up to a sample of 1,000)
// hold each of terms, stemmed as the index stems them: the document
// frequencies a caller needs to weigh words by BM25's IDF without counting
// the whole store. It costs one bounded index lookup a term. English stop
// words, which the index leaves out, count zero.
func (db *DB) DocFreq(ctx context.Context, terms []string) (store.DocFreq, error) {
	sample, floor, err := db.newest(ctx)
	if err != nil {
		return store.DocFreq{}, fmt.Errorf("word counts: %w", err)
	}
	df := store.DocFreq{Stories: sample, Counts: make(map[string]int, len(terms))}
	for _, t := range store.Terms(strings.Join(terms, " ")) {
		if _, ok := df.Counts[t]; ok {
			continue
		}
		var nodes int
		if err := db.pool.QueryRow(ctx, `SELECT numnode(to_tsquery('english', $1))`, matchAll([]string{t})).Scan(&nodes); err != nil {
			return store.DocFreq{}, fmt.Errorf("word counts: %w", err)
		}
		if nodes == 0 { // a stop word of the index: never matched, whatever the stories say
			if df.Ignored == nil {
				df.Ignored = map[string]bool{}
			}
			df.Ignored[t], df.Counts[t] = true, 0
			continue
		}
		if df.Counts[t], err = db.countSince(ctx, floor, t); err != nil {
			return store.DocFreq{}, fmt.Errorf("word counts: %w", err)
		}
	}
	return df, nil
}
