package newstext

import "strings"

// LightStem folds the commonest inflections so "player" matches "players"
// and "Locke’s" matches "Locke": a possessive or contracted suffix and a
// plural "s". It is much cheaper than a full stemmer, which scoring does not
// need. w is lower case; the result may share, and overwrite, w's array.
func LightStem(w []byte) []byte {
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

// IsStopWord reports whether w (lower case, as LightStem leaves it) is a
// function word, too common to tell sentences apart.
func IsStopWord(w string) bool { return stopWords[w] }

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
