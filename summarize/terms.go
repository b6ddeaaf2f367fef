package summarize

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// vocab gives each distinct content term of one article a small integer, so
// sentences can be compared as sorted integer sets.
type vocab struct {
	ids map[string]int32
	buf []byte
}

func newVocab() *vocab { return &vocab{ids: make(map[string]int32, 256)} }

// terms returns the sorted, distinct content terms of s: lowercased words
// without stop words, lightly stemmed, each mapped to its id.
func (v *vocab) terms(s string, out []int32) []int32 {
	out = out[:0]
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) {
			i += size
			continue
		}
		v.buf = v.buf[:0]
		for i < len(s) {
			if c := s[i]; c < utf8.RuneSelf {
				// ASCII fast path.
				if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
					v.buf = append(v.buf, c)
					i++
					continue
				}
				if 'A' <= c && c <= 'Z' {
					v.buf = append(v.buf, c+'a'-'A')
					i++
					continue
				}
			}
			r, size = utf8.DecodeRuneInString(s[i:])
			if !isWordRune(r) {
				// Keep "don't" and "Kilmarnock’s" together to drop the suffix below.
				if (r == '\'' || r == '’') && i+size < len(s) {
					if n, _ := utf8.DecodeRuneInString(s[i+size:]); unicode.IsLetter(n) {
						v.buf = append(v.buf, '\'')
						i += size
						continue
					}
				}
				break
			}
			v.buf = utf8.AppendRune(v.buf, unicode.ToLower(r))
			i += size
		}
		w := lightStem(v.buf)
		if len(w) < 2 || stopWords[string(w)] {
			continue
		}
		id, ok := v.ids[string(w)]
		if !ok {
			id = int32(len(v.ids))
			v.ids[string(w)] = id
		}
		out = append(out, id)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// lightStem folds the commonest inflections so "player" matches "players"
// and "Locke’s" matches "Locke": a possessive or contracted suffix and a
// plural "s". It is much cheaper than a full stemmer, which scoring does not need.
func lightStem(w []byte) []byte {
	if i := strings.IndexByte(string(w), '\''); i >= 0 {
		w = w[:i]
	}
	n := len(w)
	if n > 3 && w[n-1] == 's' && w[n-2] != 's' && w[n-2] != 'u' && w[n-2] != 'i' {
		if n > 4 && w[n-2] == 'e' && w[n-3] == 'i' {
			return append(w[:n-3], 'y') // "parties" → "party"
		}
		return w[:n-1]
	}
	return w
}

// overlap returns the number of terms in both sorted sets.
func overlap(a, b []int32) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			n++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return n
}

// stopWords are function words left out of the content terms.
var stopWords = setOf(
	"a", "about", "above", "after", "again", "against", "all", "also", "am",
	"an", "and", "any", "are", "as", "at", "be", "because", "been", "before",
	"being", "below", "between", "both", "but", "by", "can", "could", "did",
	"do", "does", "doing", "down", "during", "each", "even", "ever", "every",
	"few", "for", "from", "further", "get", "got", "had", "has", "have",
	"having", "he", "her", "here", "hers", "herself", "him", "himself", "his",
	"how", "however", "if", "in", "into", "is", "it", "its", "itself", "just",
	"last", "like", "made", "make", "many", "may", "me", "might", "more",
	"most", "much", "must", "my", "myself", "never", "new", "no", "nor", "not",
	"now", "of", "off", "on", "once", "one", "only", "or", "other", "our",
	"ours", "ourselves", "out", "over", "own", "said", "same", "say", "says",
	"she", "should", "since", "so", "some", "still", "such", "than", "that",
	"the", "their", "theirs", "them", "themselves", "then", "there", "these",
	"they", "this", "those", "through", "to", "too", "told", "two", "under",
	"until", "up", "upon", "us", "very", "was", "way", "we", "well", "were",
	"what", "when", "where", "which", "while", "who", "whom", "whose", "why",
	"will", "with", "would", "year", "yet", "you", "your", "yours", "yourself",
	"yourselves", "time", "back", "like", "going", "know", "think", "want",
	"really", "people", "day", "first", "three", "go", "see", "come", "take",
	"would", "thing", "things", "lot", "put", "set", "including", "according",
)
