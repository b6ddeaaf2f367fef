package answer

import (
	"sort"
	"strings"
	"unicode"

	"github.com/storybot/storybot/newstext"
	"github.com/storybot/storybot/retrieve"
)

// MinCoverage is the least share of the question's word weight the best
// passage must hold for the question to count as answered by the stored
// stories (retrieve.Result.Coverage). Below it, the reply says the stored
// stories don't say, whatever the engine.
const MinCoverage = 0.5

// Quote is a sentence of a source, quoted in an extractive answer.
type Quote struct {
	Text   string
	Source int // citation number
}

// quotedPassages is how many of the best passages the extractive answer
// quotes from, and maxQuotes / maxQuoteWords bound its length.
const (
	around          = 2   // sentences either side of a passage
	neighbourWeight = 0.8 // a sentence beside a passage weighs less than one in it
	carry           = 0.5 // the share of the previous sentence's score a sentence gets
	maxQuotes       = 4
	maxQuoteWords   = 150
)

// Extract picks the sentences of r's best passages that share the most
// weighed words with the question: at most two, in the order of their
// passages, each with its source's citation number. It returns nil when r
// does not answer the question (see MinCoverage).
func Extract(question string, r retrieve.Result) []Quote {
	if !Answerable(r) {
		return nil
	}
	want := expects(question)
	var bonus float64 // what holding the kind of answer asked for is worth
	for _, t := range r.Terms {
		bonus += t.Weight / float64(len(r.Terms))
	}
	type scored struct {
		Quote
		score float64
		order int
	}
	// The best story's passages, each with a sentence either side: an
	// answer often sits just before or after the sentence naming what the
	// question is about.
	best := r.Passages[0].Source
	sents := newstext.Split(r.Sources[best-1].Body)
	near := map[int]float64{} // sentence index: weight
	for _, p := range r.Passages {
		if p.Source != best {
			continue
		}
		for i := max(p.First-around, 0); i < min(p.First+len(p.Sentences)+around, len(sents)); i++ {
			w := 1.0
			if i < p.First || i >= p.First+len(p.Sentences) {
				w = neighbourWeight
			}
			near[i] = max(near[i], w)
		}
	}
	// A sentence also scores a share of the one before it: news writes the
	// subject, then the fact ("Stan Freberg … has died. He was 88.").
	match := map[int]float64{}
	for i := range near {
		match[i] = matchWeight(sents[i], r.Terms)
		if i > 0 {
			if _, ok := match[i-1]; !ok {
				match[i-1] = matchWeight(sents[i-1], r.Terms)
			}
		}
	}
	var ss []scored
	for i, w := range near {
		s := sents[i]
		score := match[i]
		if i > 0 {
			score += carry * match[i-1]
		}
		if score == 0 {
			continue
		}
		if want != nil && want(s, question) {
			score += bonus
		}
		ss = append(ss, scored{Quote{s, best}, score * w, i})
	}
	sort.Slice(ss, func(i, j int) bool {
		if ss[i].score != ss[j].score {
			return ss[i].score > ss[j].score
		}
		return ss[i].order < ss[j].order
	})
	var picked []scored
	words := 0
	for _, s := range ss {
		n := len(strings.Fields(s.Text))
		if len(picked) == maxQuotes {
			break
		}
		if len(picked) > 0 && words+n > maxQuoteWords || repeats(s.Text, picked) {
			continue
		}
		picked = append(picked, s)
		words += n
	}
	sort.SliceStable(picked, func(i, j int) bool { return picked[i].order < picked[j].order })
	out := make([]Quote, len(picked))
	for i, p := range picked {
		out[i] = p.Quote
	}
	return out
}

// repeats reports whether most of s's words are in a sentence already
// picked: news pages repeat a sentence as a photo caption.
func repeats[T interface{ text() string }](s string, picked []T) bool {
	ws := strings.Fields(strings.ToLower(s))
	for _, p := range picked {
		in := map[string]bool{}
		for _, w := range strings.Fields(strings.ToLower(p.text())) {
			in[w] = true
		}
		shared := 0
		for _, w := range ws {
			if in[w] {
				shared++
			}
		}
		if float64(shared) >= 0.7*float64(len(ws)) {
			return true
		}
	}
	return false
}

func (q Quote) text() string { return q.Text }

// Answerable reports whether r's best passage speaks to the question.
func Answerable(r retrieve.Result) bool {
	return len(r.Passages) > 0 && r.Coverage >= MinCoverage
}

// matchWeight is the summed weight of the terms s holds, each counted once.
func matchWeight(s string, terms []retrieve.Term) float64 {
	have := map[string]bool{}
	for _, st := range retrieve.Stems(s) {
		have[st] = true
	}
	var w float64
	for _, t := range terms {
		if have[t.Stem] {
			w += t.Weight
		}
	}
	return w
}

// expects returns a test for whether a sentence holds the kind of answer
// question asks for: a number for "how many", "how old", "when"…; a name not
// in the question for "who", "which", "where". Nil when the question's words
// don't say.
func expects(question string) func(sentence, question string) bool {
	q := " " + strings.ToLower(strings.Join(strings.FieldsFunc(question, notWord), " ")) + " "
	for _, w := range []string{" how many ", " how much ", " how old ", " how long ", " how far ", " how tall ",
		" how heavy ", " how big ", " how soon ", " what age ", " when ", " what year ", " cost ", " price "} {
		if strings.Contains(q, w) {
			return hasNumber
		}
	}
	for _, w := range []string{" who ", " whom ", " whose ", " which ", " where "} {
		if strings.Contains(q, w) {
			return hasNewName
		}
	}
	return nil
}

func notWord(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' }

// numberWords are numbers as news writes them in words.
var numberWords = map[string]bool{
	"two": true, "three": true, "four": true, "five": true, "six": true, "seven": true, "eight": true,
	"nine": true, "ten": true, "eleven": true, "twelve": true, "twenty": true, "dozen": true, "dozens": true,
	"hundred": true, "hundreds": true, "thousand": true, "thousands": true, "million": true, "billion": true,
}

func hasNumber(sentence, _ string) bool {
	for _, w := range strings.FieldsFunc(sentence, notWord) {
		if strings.ContainsAny(w, "0123456789") || numberWords[strings.ToLower(w)] {
			return true
		}
	}
	return false
}

// hasNewName reports whether sentence has a capitalized word, not its
// first, that question lacks.
func hasNewName(sentence, question string) bool {
	inQuestion := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(question), notWord) {
		inQuestion[w] = true
	}
	for i, w := range strings.FieldsFunc(sentence, notWord) {
		if r := []rune(w); i > 0 && unicode.IsUpper(r[0]) && !inQuestion[strings.ToLower(w)] {
			return true
		}
	}
	return false
}
