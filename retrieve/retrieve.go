// Package retrieve finds the passages of stored stories that bear on a
// question, for /ask.
//
// Retrieval has two stages. The store's full-text index ranks whole stories
// by BM25 against the question's words (any of them); then the best
// Candidates stories are cut into passages (a few sentences each,
// overlapping by one) and the passages are ranked by BM25 against the
// question, with word weights (IDF) from the store's own counts and a share
// of the story's title and rank folded in. The top passages are taken with
// diversity: at most PerStory from one story and none overlapping another.
//
// Indexing passages themselves would double the full-text index and slow
// ingest; ranking passages only inside the stories the index finds costs a
// few milliseconds per question instead.
package retrieve

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/blevesearch/go-porterstemmer"

	"github.com/storybot/storybot/newstext"
	"github.com/storybot/storybot/store"
)

// Index is the store behind retrieval. *sqlite.DB satisfies it.
type Index interface {
	// SearchAny ranks stories holding any of terms, best first.
	SearchAny(ctx context.Context, terms []string, limit int) ([]store.Hit, error)
	// DocFreq counts the stories holding each word, over a sample.
	DocFreq(ctx context.Context, terms []string) (store.DocFreq, error)
}

// Defaults for Options.
const (
	DefaultCandidates = 20 // stories whose passages are ranked
	DefaultPassages   = 5  // passages returned
	DefaultPerStory   = 2  // passages from one story
	// PassageSentences is a passage's length, and consecutive passages of
	// a story share one sentence.
	PassageSentences = 3
)

// Options tune Retrieve. The zero value means the defaults.
type Options struct {
	// Story, when set, restricts retrieval to that story (the /ask story
	// option); the index is not searched.
	Story      *store.Story
	Candidates int
	Passages   int
	PerStory   int
}

// Passage is a run of sentences from one story.
type Passage struct {
	// Source is the passage's citation number: its story's 1-based place
	// in Result.Sources.
	Source    int
	StoryID   string
	Sentences []string
	// First is the index of the passage's first sentence in its story.
	First int
	// Score is the passage's relevance; higher is better.
	Score float64
}

// Text is the passage's sentences joined by spaces.
func (p Passage) Text() string { return strings.Join(p.Sentences, " ") }

// Term is one word of the question as retrieval weighs it.
type Term struct {
	Word   string  // as typed, lower case
	Stem   string  // what passages are matched on
	Weight float64 // IDF, raised for names
}

// Result is what Retrieve found.
type Result struct {
	Terms []Term
	// Names are the question's names of two or more words ("Star Wars"),
	// lower case: a passage covers their words only where it holds the
	// whole name.
	Names []string
	// Passages are the best passages, best first.
	Passages []Passage
	// Sources are the passages' stories in order of their best passage:
	// citation [n] is Sources[n-1].
	Sources []store.Story
	// Coverage is the share of the question's word weight that the best
	// passage (with its story's title) holds, from 0 to 1: low when no
	// passage speaks to what the question is about.
	Coverage float64
}

// Retrieve returns the passages of the stored stories that best answer
// question. A question with no words worth searching for, or that no story
// matches, gives an empty Result and no error.
func Retrieve(ctx context.Context, idx Index, question string, o Options) (Result, error) {
	o = o.withDefaults()
	words := queryWords(question)
	if len(words) == 0 {
		return Result{}, nil
	}
	df, err := idx.DocFreq(ctx, wordsOf(words))
	if err != nil {
		return Result{}, fmt.Errorf("retrieve: %w", err)
	}
	terms := weigh(words, df)
	names := namePhrases(question)

	var hits []store.Hit
	if o.Story != nil {
		hits = []store.Hit{{Story: *o.Story}}
	} else {
		hits, err = idx.SearchAny(ctx, searchWords(terms, df), o.Candidates)
		if err != nil {
			return Result{}, fmt.Errorf("retrieve: %w", err)
		}
	}
	if len(hits) == 0 {
		return Result{Terms: terms, Names: names}, nil
	}
	ps := rank(hits, terms)
	r := pickDiverse(ps, hits, terms, o)
	r.Names = names
	if len(r.Passages) > 0 {
		p := r.Passages[0]
		r.Coverage = Coverage(r.Sources[p.Source-1].Title+"\n"+p.Text(), terms, names)
	}
	return r, nil
}

func (o Options) withDefaults() Options {
	if o.Candidates <= 0 {
		o.Candidates = DefaultCandidates
	}
	if o.Passages <= 0 {
		o.Passages = DefaultPassages
	}
	if o.PerStory <= 0 {
		o.PerStory = DefaultPerStory
	}
	return o
}

// qword is a question word before weighing.
type qword struct {
	word string
	name bool // written with a capital inside the question: a name
}

func wordsOf(ws []qword) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.word
	}
	return out
}

// queryWords returns the question's words worth matching: store.Terms'
// words less question words and single letters, each once, noting the ones
// written as names.
func queryWords(question string) []qword {
	names := map[string]bool{}
	for i, f := range strings.FieldsFunc(question, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if r := []rune(f); i > 0 && unicode.IsUpper(r[0]) {
			names[strings.ToLower(f)] = true
		}
	}
	seen := map[string]bool{}
	var out []qword
	for _, t := range store.Terms(question) {
		// store.Terms keeps stop words when there is nothing else; a
		// question of such words alone ("Who is he?") asks about nothing
		// retrieval can find.
		if questionWords[t] || store.IsStopWord(t) || seen[t] || len([]rune(t)) == 1 && !unicode.IsDigit([]rune(t)[0]) {
			continue
		}
		seen[t] = true
		out = append(out, qword{word: t, name: names[t]})
	}
	return out
}

// questionWords are words of questions that say nothing about the answer
// (store.Terms already drops the commonest English words).
var questionWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`did does do is are was were has have had can could would will
		many much happen happens happened say says said tell told know get got make made like
		news story stories please anyone someone something thing things`) {
		questionWords[w] = true
	}
}

// searchWords are the words to find candidate stories by: the terms less
// those in more than a tenth of the sampled stories when rarer ones are
// there. BM25 gives such a word little weight (a third of a rare word's, or
// less) and ranking by it means reading the positions of most of the store.
// They still count when passages are ranked. A question of common words
// alone is searched by its rarest word. A sample under 200 stories is too
// small to call any word common.
func searchWords(terms []Term, df store.DocFreq) []string {
	var rare []string
	rarest := 0
	for i, t := range terms {
		if df.Stories < 200 || 10*df.Counts[t.Word] <= df.Stories {
			rare = append(rare, t.Word)
		}
		if df.Counts[t.Word] < df.Counts[terms[rarest].Word] {
			rarest = i
		}
	}
	if len(rare) == 0 && len(terms) > 0 {
		return []string{terms[rarest].Word}
	}
	return rare
}

// nameBoost raises the weight of a word written as a name.
const nameBoost = 1.5

// weigh gives each word its BM25 IDF from df. A word no sampled story holds
// gets the highest weight: a question about something the stories never
// mention should not look answered.
func weigh(words []qword, df store.DocFreq) []Term {
	n := float64(max(df.Stories, 1))
	terms := make([]Term, 0, len(words))
	for _, w := range words {
		if df.Ignored[w.word] {
			continue // the index cannot find it: no clue either way
		}
		d := float64(df.Counts[w.word])
		idf := math.Log(1 + (n-d+0.5)/(d+0.5))
		if w.name {
			idf *= nameBoost
		}
		terms = append(terms, Term{Word: w.word, Stem: stem(w.word), Weight: idf})
	}
	return terms
}

// matcher finds the question's stems in text. Porter stemming only
// rewrites a word's ending, keeping all but at most the last letter of the
// stem as the word has them, so a word whose first two letters start no
// wanted stem of three letters or more is not stemmed at all: most words of
// a story are skipped that way.
type matcher struct {
	want     map[string]bool
	prefixes map[string]bool // first two letters of the wanted stems; nil: stem every word
	memo     stemmer
}

func newMatcher(terms []Term) *matcher {
	m := &matcher{want: map[string]bool{}, prefixes: map[string]bool{}, memo: stemmer{}}
	for _, t := range terms {
		m.want[t.Stem] = true
		if len(t.Stem) < 3 {
			m.prefixes = nil
		} else if m.prefixes != nil {
			m.prefixes[t.Stem[:2]] = true
		}
	}
	return m
}

// match calls found with each wanted stem in text, and returns how many
// words text has.
func (m *matcher) match(text string, found func(stem string)) int {
	ws := strings.FieldsFunc(strings.ToLower(text), notWord)
	for _, w := range ws {
		if m.prefixes != nil && (len(w) < 2 || !m.prefixes[w[:2]]) {
			continue
		}
		s, ok := m.memo[w]
		if !ok {
			s = stem(w)
			m.memo[w] = s
		}
		if m.want[s] {
			found(s)
		}
	}
	return len(ws)
}

// stem reduces a lower-case word to its Porter stem.
func stem(w string) string { return porterstemmer.StemString(w) }

// Stems returns the stems of text's words.
func Stems(text string) []string { return stemmer{}.stems(text) }

// stemmer stems words, remembering the stems it has worked out: a story's
// words repeat.
type stemmer map[string]string

func (m stemmer) stems(text string) []string {
	ws := strings.FieldsFunc(strings.ToLower(text), notWord)
	for i, w := range ws {
		s, ok := m[w]
		if !ok {
			s = stem(w)
			m[w] = s
		}
		ws[i] = s
	}
	return ws
}

// BM25's parameters, the usual ones.
const k1, b = 1.2, 0.75

// titleShare and rankShare are how much a story's title matching the
// question, and the story's own rank, add to each of its passages' scores,
// relative to the passage's own BM25.
const titleShare, rankShare = 0.3, 0.5

// candidate is a passage being ranked.
type candidate struct {
	Passage
	hit   int            // index into the hits
	tf    map[string]int // stem counts
	words int
	title map[string]bool
}

// rank cuts the hits' stories into passages and scores them.
func rank(hits []store.Hit, terms []Term) []candidate {
	m := newMatcher(terms)
	var cs []candidate
	total := 0
	for h, hit := range hits {
		title := map[string]bool{}
		m.match(hit.Title, func(s string) { title[s] = true })
		// Each sentence is read once; its passages add up its counts.
		sents := newstext.Split(hit.Body)
		words := make([]int, len(sents))
		found := make([][]string, len(sents))
		for i, s := range sents {
			words[i] = m.match(s, func(st string) { found[i] = append(found[i], st) })
		}
		for first := 0; first < len(sents); first += PassageSentences - 1 {
			end := min(first+PassageSentences, len(sents))
			c := candidate{
				Passage: Passage{StoryID: hit.ID, Sentences: sents[first:end], First: first},
				hit:     h, tf: map[string]int{}, title: title,
			}
			for i := first; i < end; i++ {
				c.words += words[i]
				for _, st := range found[i] {
					c.tf[st]++
				}
			}
			total += c.words
			cs = append(cs, c)
			if end == len(sents) {
				break
			}
		}
	}
	if len(cs) == 0 {
		return nil
	}
	avg := float64(total) / float64(len(cs))
	for i := range cs {
		c := &cs[i]
		var s, t float64
		for _, term := range terms {
			if f := float64(c.tf[term.Stem]); f > 0 {
				s += term.Weight * f * (k1 + 1) / (f + k1*(1-b+b*float64(c.words)/avg))
			}
			if c.title[term.Stem] {
				t += term.Weight
			}
		}
		// The story index's rank, from 1 for the best story down towards 0.
		prior := 1 / (1 + float64(c.hit))
		c.Score = s + titleShare*t + rankShare*prior*s
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Score > cs[j].Score })
	return cs
}

// pickDiverse takes the best passages, at most o.PerStory from a story and
// none sharing a sentence with one already taken, numbers their sources and
// works out the best passage's coverage.
func pickDiverse(cs []candidate, hits []store.Hit, terms []Term, o Options) Result {
	r := Result{Terms: terms}
	perStory := map[int][]candidate{}
	source := map[int]int{}
	for _, c := range cs {
		if len(r.Passages) == o.Passages {
			break
		}
		if c.Score <= 0 {
			break
		}
		taken := perStory[c.hit]
		if len(taken) == o.PerStory || overlaps(c, taken) {
			continue
		}
		perStory[c.hit] = append(taken, c)
		if source[c.hit] == 0 {
			r.Sources = append(r.Sources, hits[c.hit].Story)
			source[c.hit] = len(r.Sources)
		}
		c.Source = source[c.hit]
		r.Passages = append(r.Passages, c.Passage)
	}
	return r
}

func overlaps(c candidate, taken []candidate) bool {
	for _, t := range taken {
		if c.First < t.First+len(t.Sentences) && t.First < c.First+len(c.Sentences) {
			return true
		}
	}
	return false
}

// Coverage is the share of the terms' weight that text holds. A word of a
// name in names counts only where text holds the whole name.
func Coverage(text string, terms []Term, names []string) float64 {
	have := map[string]bool{}
	for _, st := range Stems(text) {
		have[st] = true
	}
	lower := " " + strings.Join(strings.FieldsFunc(strings.ToLower(text), notWord), " ") + " "
	missing := map[string]bool{} // words of names text lacks
	for _, n := range names {
		if !strings.Contains(lower, " "+n+" ") {
			for _, w := range strings.Fields(n) {
				missing[w] = true
			}
		}
	}
	var in, all float64
	for _, t := range terms {
		all += t.Weight
		if have[t.Stem] && !missing[t.Word] {
			in += t.Weight
		}
	}
	if all == 0 {
		return 0
	}
	return in / all
}

func notWord(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// namePhrases returns the runs of two or more capitalized words in
// question (after its first word, which is capitalized anyway), lower case,
// with the small words names hold between them ("Bank of England", "Tour de
// France").
func namePhrases(question string) []string {
	var out, run []string
	pending := "" // a small word that joins the run if a capitalized word follows
	flush := func() {
		if len(run) >= 2 {
			out = append(out, strings.Join(run, " "))
		}
		run, pending = run[:0], ""
	}
	for i, f := range strings.Fields(question) {
		w := strings.TrimFunc(f, notWord)
		w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
		lower := strings.Join(strings.FieldsFunc(strings.ToLower(w), notWord), " ")
		switch r := []rune(w); {
		case i > 0 && len(r) > 0 && unicode.IsUpper(r[0]):
			if pending != "" {
				run = append(run, pending)
				pending = ""
			}
			run = append(run, lower)
		case len(run) > 0 && pending == "" && nameJoiners[lower]:
			pending = lower
		default:
			flush()
		}
		if strings.TrimRightFunc(f, notWord) != f {
			flush() // punctuation after the word ends the name
		}
	}
	flush()
	return out
}

// nameJoiners are the small words found inside names.
var nameJoiners = map[string]bool{"of": true, "de": true, "du": true, "del": true, "della": true, "la": true,
	"le": true, "van": true, "von": true, "der": true, "den": true, "da": true}
