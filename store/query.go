package store

import (
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
