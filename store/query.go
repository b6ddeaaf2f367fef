package store

import (
	"context"
	"strings"
	"unicode"
)

// Terms splits a search query into lower-case words (runs of letters and
// digits), dropping common English words unless nothing else is left. Every
// backend builds its full-text query from these, so no user input reaches a
// query language unescaped.
func Terms(q string) []string {
	words := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(words) == 0 {
		return nil
	}
	const maxTerms = 16 // a longer query adds cost, not precision
	var kept []string
	for _, w := range words {
		if !stopWords[w] {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		kept = words
	}
	if len(kept) > maxTerms {
		kept = kept[:maxTerms]
	}
	return kept
}

var stopWords = map[string]bool{}

// IsStopWord reports whether w (lower case) is one of the common English
// words Terms leaves out.
func IsStopWord(w string) bool { return stopWords[w] }

func init() {
	for _, w := range strings.Fields(`a about after again all also an and any are as at be because been
		before being between both but by can could did do does doing down during each few for from
		further had has have having he her here hers him his how i if in into is it its itself just me
		more most my no nor not now of off on once only or other our out over own same she should so
		some such than that the their them then there these they this those through to too under until
		up very was we were what when where which while who whom why will with would you your`) {
		stopWords[w] = true
	}
}

// Search runs the search policy every backend shares, with the backend's
// own steps: dropCommon leaves out the words too common to search by, and
// find runs one full-text query for terms (all of them, or any when any is
// set), ranked when rank is set, else newest first.
//
// The stories must hold every word of query, common words aside; when none
// does, stories with any of them are returned. A query of common words
// alone returns the newest stories that hold them all.
func Search(ctx context.Context, query string, limit int,
	dropCommon func(ctx context.Context, terms []string) ([]string, error),
	find func(ctx context.Context, terms []string, any, rank bool, limit int) ([]Hit, error),
) ([]Hit, error) {
	terms := Terms(query)
	if len(terms) == 0 {
		return nil, nil
	}
	rare, err := dropCommon(ctx, terms)
	if err != nil {
		return nil, err
	}
	if len(rare) == 0 {
		return find(ctx, terms, false, false, limit)
	}
	hits, err := find(ctx, rare, false, true, limit)
	if err != nil || len(hits) > 0 || len(rare) == 1 {
		return hits, err
	}
	return find(ctx, rare, true, true, limit)
}
