// Package rouge computes ROUGE-1, ROUGE-2 and ROUGE-L F1 scores of a candidate
// summary against a reference summary, following the conventions of the
// ROUGE-1.5.5 Perl script as run with "-n 2 -m -a -f A -p 0.5":
//
//   - text is lowercased (ASCII) and tokens are runs of [a-z0-9]; every other
//     byte, including non-ASCII letters and punctuation, separates tokens;
//   - tokens longer than three bytes are stemmed (-m) as ROUGE-1.5.5 does:
//     an irregular form found in the WordNet exception lists becomes its base
//     ("said" → "say", "children" → "child"), any other token is reduced with
//     the original Porter stemmer; no stop words are removed;
//   - n-gram matches are clipped: an n-gram counts at most as often as it occurs
//     in the reference;
//   - ROUGE-L is summary-level: for every reference sentence, the union of its
//     longest common subsequences with each candidate sentence is counted, each
//     token at most as often as it occurs in either summary; sentences are
//     separated by "\n";
//   - F is the harmonic mean of precision and recall (-p 0.5).
//
// With several references, ScoreMulti adds up hits and counts over them, as
// -f A does. Corpus figures are the mean of the per-document F scores.
package rouge

import (
	_ "embed"
	"strings"
	"sync"

	"github.com/blevesearch/go-porterstemmer"
)

// Score is precision, recall and F1 of one measure, each in [0, 1].
type Score struct {
	P, R, F float64
}

// Scores holds the three measures of one candidate against one reference.
type Scores struct {
	R1, R2, RL Score
}

// newScore returns the score for hits matches out of candidate and reference
// totals. A summary without tokens scores zero.
func newScore(hits, candidate, reference int) Score {
	if hits == 0 || candidate == 0 || reference == 0 {
		return Score{}
	}
	p := float64(hits) / float64(candidate)
	r := float64(hits) / float64(reference)
	return Score{P: p, R: r, F: 2 * p * r / (p + r)}
}

// Compute scores candidate against reference. Both are plain text with one
// sentence a line; line breaks only matter to ROUGE-L.
func Compute(candidate, reference string) Scores {
	return NewReference(reference).Score(candidate)
}

// Reference is a tokenised reference summary, ready to score many candidates
// against. It is read-only after NewReference and safe for concurrent use.
type Reference struct {
	sents  [][]string // stemmed tokens, sentence by sentence
	tokens []string   // all tokens in order
	uni    map[string]int
	bi     map[bigram]int
}

type bigram struct{ a, b string }

// NewReference tokenises a reference summary (one sentence a line).
func NewReference(text string) *Reference {
	r := &Reference{sents: tokenizeSentences(text)}
	for _, s := range r.sents {
		r.tokens = append(r.tokens, s...)
	}
	r.uni = unigrams(r.tokens)
	r.bi = bigrams(r.tokens)
	return r
}

// Score scores candidate (one sentence a line) against the reference.
func (r *Reference) Score(candidate string) Scores {
	return ScoreMulti(candidate, []*Reference{r})
}

// ScoreMulti scores candidate against several references of the same text as
// ROUGE-1.5.5 "-f A" does: hits and counts are added up over the references
// before precision, recall and F are computed. No reference scores zero.
func ScoreMulti(candidate string, refs []*Reference) Scores {
	sents := tokenizeSentences(candidate)
	var toks []string
	for _, s := range sents {
		toks = append(toks, s...)
	}
	cu := unigrams(toks)
	cb := bigrams(toks)
	var h1, h2, hl, n1, n2 int
	for _, r := range refs {
		h1 += clippedHits(cu, r.uni)
		h2 += clippedHits(cb, r.bi)
		hl += unionLCSHits(r.sents, sents, r.uni, cu)
		n1 += len(r.tokens)
		n2 += max(len(r.tokens)-1, 0)
	}
	k := len(refs)
	return Scores{
		R1: newScore(h1, k*len(toks), n1),
		R2: newScore(h2, k*max(len(toks)-1, 0), n2),
		RL: newScore(hl, k*len(toks), n1),
	}
}

// Tokenize returns the ROUGE tokens of text: lowercased runs of ASCII letters
// and digits, stemmed when longer than three bytes.
func Tokenize(text string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(text); i++ {
		if i < len(text) && isTokenByte(text[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, stem(strings.ToLower(text[start:i])))
			start = -1
		}
	}
	return out
}

func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// stem stems tokens longer than three bytes as ROUGE-1.5.5 does: the base
// form of an irregular inflection, else the Porter stem.
func stem(tok string) string {
	if len(tok) <= 3 {
		return tok
	}
	if base, ok := exceptions()[tok]; ok {
		return base
	}
	return porterstemmer.StemString(tok)
}

//go:generate go run gen_exceptions.go

//go:embed wordnet_exceptions.txt
var exceptionsText string

// exceptions maps irregular inflections to their base form (read-only).
var exceptions = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, 6000)
	for line := range strings.SplitSeq(exceptionsText, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		if word, base, ok := strings.Cut(line, " "); ok {
			m[word] = base
		}
	}
	return m
})

// tokenizeSentences splits text on "\n" and tokenises each line, dropping
// lines without tokens.
func tokenizeSentences(text string) [][]string {
	var out [][]string
	for line := range strings.SplitSeq(text, "\n") {
		if t := Tokenize(line); len(t) > 0 {
			out = append(out, t)
		}
	}
	return out
}

func unigrams(toks []string) map[string]int {
	m := make(map[string]int, len(toks))
	for _, t := range toks {
		m[t]++
	}
	return m
}

func bigrams(toks []string) map[bigram]int {
	m := make(map[bigram]int, len(toks))
	for i := 1; i < len(toks); i++ {
		m[bigram{toks[i-1], toks[i]}]++
	}
	return m
}

// clippedHits counts the n-grams of cand found in ref, each at most as often
// as it occurs in ref.
func clippedHits[K comparable](cand, ref map[K]int) int {
	hits := 0
	for k, c := range cand {
		hits += min(c, ref[k])
	}
	return hits
}

// unionLCSHits is the summary-level LCS hit count of ROUGE-1.5.5: for each
// reference sentence, the tokens of the union of its LCSs with every candidate
// sentence, each token counted while it has occurrences left in both
// summaries (refCount and candCount, which are copied, not changed).
func unionLCSHits(refSents, candSents [][]string, refCount, candCount map[string]int) int {
	refLeft := make(map[string]int, len(refCount))
	for k, v := range refCount {
		refLeft[k] = v
	}
	candLeft := make(map[string]int, len(candCount))
	for k, v := range candCount {
		candLeft[k] = v
	}
	hits := 0
	for _, rs := range refSents {
		inUnion := make([]bool, len(rs))
		for _, cs := range candSents {
			markLCS(rs, cs, inUnion)
		}
		for i, ok := range inUnion {
			if !ok {
				continue
			}
			t := rs[i]
			if refLeft[t] > 0 && candLeft[t] > 0 {
				hits++
				refLeft[t]--
				candLeft[t]--
			}
		}
	}
	return hits
}

// markLCS sets mark[i] for the positions of a that belong to one longest
// common subsequence of a and b (the one found by the usual backtrack,
// preferring to move up on ties, as ROUGE-1.5.5 does).
func markLCS(a, b []string, mark []bool) {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return
	}
	w := m + 1
	dp := make([]int32, (n+1)*w)
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			switch {
			case a[i-1] == b[j-1]:
				dp[i*w+j] = dp[(i-1)*w+j-1] + 1
			case dp[(i-1)*w+j] >= dp[i*w+j-1]:
				dp[i*w+j] = dp[(i-1)*w+j]
			default:
				dp[i*w+j] = dp[i*w+j-1]
			}
		}
	}
	i, j := n, m
	for i > 0 && j > 0 {
		switch {
		case a[i-1] == b[j-1]:
			mark[i-1] = true
			i--
			j--
		case dp[(i-1)*w+j] >= dp[i*w+j-1]:
			i--
		default:
			j--
		}
	}
}
