package summarize

import (
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/storybot/storybot/newstext"
)

// Extract summarizes an article by picking whole sentences of body, and
// returns them in article order. title is optional; when given, sentences
// that share its words score higher. body holds one paragraph a line.
//
// Each sentence gets a score: a strong lead prior (news puts the gist first),
// plus a little for directed centrality and overlap with the title, less
// penalties for captions and page furniture, sentences opening with a quote
// and run-ons. Sentences are then taken best first while they fit the style's
// budget; selection stops at the first one that does not fit, rather than
// reaching further down the article for a shorter one, and a sentence that
// repeats a chosen one is skipped.
//
// The summary never exceeds the style's word budget (counted with
// newstext.Words) nor its sentence count, and it holds at least one sentence
// whenever body has a word: when no sentence fits, the first sentence is cut
// at the last word that fits and "…" is appended.
//
// Extract is deterministic and safe for concurrent use.
func Extract(title, body string, style Style) []string {
	return extract(title, body, style.Budget(), &defaultWeights)
}

// sentence is one candidate for the summary.
type sentence struct {
	text  string
	pos   int // index in the article
	words int
	terms []int32 // sorted distinct content terms
	score float64
}

func extract(title, body string, b Budget, w *weights) []string {
	texts := newstext.Split(body)
	v := newVocab()
	sents := make([]sentence, 0, len(texts))
	var buf []int32
	for _, t := range texts {
		n := newstext.Words(t)
		if n == 0 {
			continue // punctuation alone
		}
		buf = v.terms(t, buf)
		sents = append(sents, sentence{text: t, pos: len(sents), words: n, terms: slices.Clone(buf)})
	}
	if len(sents) == 0 {
		return nil
	}
	var titleTerms []int32
	if strings.TrimSpace(title) != "" {
		titleTerms = v.terms(title, nil)
	}
	scoreSentences(sents, titleTerms, w)
	chosen := selectSentences(sents, b, w)
	if len(chosen) == 0 {
		return []string{truncate(sents[0].text, b.MaxWords)}
	}
	out := make([]string, len(chosen))
	for i, c := range chosen {
		out[i] = closeQuote(sents[c].text)
	}
	return out
}

// closeQuote closes a double quotation that a sentence opens and the article
// goes on with in the next one (`He said: "Nobody takes it lightly.`), so the
// sentence reads whole on its own.
func closeQuote(s string) string {
	switch {
	case strings.Count(s, "“") > strings.Count(s, "”"):
		return s + "”"
	case strings.Count(s, `"`)%2 == 1 && !strings.HasSuffix(s, `"`):
		return s + `"`
	}
	return s
}

// selectSentences takes sentences best first while they fit the budget and
// returns their indexes in article order. Until the budget's minimum count is
// reached, a sentence that does not fit is passed over; after it, the first
// one that does not fit ends the summary. Ties go to the earlier sentence.
func selectSentences(sents []sentence, b Budget, w *weights) []int {
	order := make([]int, len(sents))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		// Descending score; SortStable keeps article order on ties.
		switch sx, sy := sents[x].score, sents[y].score; {
		case sx > sy:
			return -1
		case sx < sy:
			return 1
		}
		return 0
	})
	var chosen []int
	words := 0
	for _, i := range order {
		if len(chosen) == b.MaxSentences {
			break
		}
		s := &sents[i]
		if repeats(s, chosen, sents, w.duplicate) {
			continue
		}
		if words+s.words > b.MaxWords {
			if len(chosen) < b.MinSentences {
				continue
			}
			break
		}
		chosen = append(chosen, i)
		words += s.words
	}
	slices.Sort(chosen)
	return chosen
}

// repeats reports whether s is at least limit similar to a chosen sentence.
func repeats(s *sentence, chosen []int, sents []sentence, limit float64) bool {
	for _, c := range chosen {
		if cosine(s.terms, sents[c].terms) >= limit {
			return true
		}
	}
	return false
}

// cosine is the cosine similarity of two term sets.
func cosine(a, b []int32) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	return float64(overlap(a, b)) / math.Sqrt(float64(len(a)*len(b)))
}

// truncate cuts s after its max-th word (as newstext.Words counts them) and
// appends an ellipsis; it returns s unchanged when s has no more than max
// words.
func truncate(s string, max int) string {
	if newstext.Words(s) <= max {
		return s
	}
	n, in, has := 0, false, false
	for i, r := range s {
		if unicode.IsSpace(r) {
			if in && has {
				n++
				if n == max {
					return strings.TrimRight(s[:i], ",;:-–—") + "…"
				}
			}
			in, has = false, false
			continue
		}
		in = true
		if newstext.IsWordRune(r) {
			has = true
		}
	}
	return s
}
