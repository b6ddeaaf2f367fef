// Package corpus generates synthetic news articles for benchmarks: realistic
// sizes, English function words as often as in real text, and a
// Zipf-distributed vocabulary of made-up content words; deterministic for a
// given seed.
package corpus

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/storybot/storybot/article"
)

// Generator makes articles. It is not safe for concurrent use.
type Generator struct {
	rng   *rand.Rand
	zipf  *rand.Zipf
	fzipf *rand.Zipf // over functionWords
	vocab []string
	start time.Time
	n     int
}

// VocabSize is the number of distinct words articles are made of.
const VocabSize = 50000

// New returns a generator; the same seed gives the same articles.
func New(seed uint64) *Generator {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	g := &Generator{
		rng:   rng,
		zipf:  rand.NewZipf(rng, 1.1, 2, VocabSize-1),
		fzipf: rand.NewZipf(rng, 1.2, 1, uint64(len(functionWords)-1)),
		start: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	syll := []string{"ba", "ko", "ri", "tan", "mel", "sor", "vi", "den", "lu", "pra", "gos", "he", "nit", "wa", "ster", "cal", "fe", "jo", "mun", "tre"}
	seen := map[string]bool{}
	for len(g.vocab) < VocabSize {
		var b strings.Builder
		for range 1 + rng.IntN(4) {
			b.WriteString(syll[rng.IntN(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			g.vocab = append(g.vocab, w)
		}
	}
	return g
}

// Word returns a content word drawn from the vocabulary by its Zipf distribution.
func (g *Generator) Word() string { return g.vocab[g.zipf.Uint64()] }

// functionShare is the share of English running text made of function words
// (the, of, and, …): about 45% in news.
const functionShare = 0.45

// functionWords are the commonest English function words, most frequent first.
var functionWords = strings.Fields(`the of and to a in that is was he for it with as his on be at by
	i this had not are but from or have an they which one you were her all she there would their we
	him been has when who will more no if out so said what up its about into than them can only other
	new some could time these two may then do first any my now such like our over man me even most
	made after also did many before must through back years where much your way well down should
	because each just those people how too little state good very make world still own see men work`)

// textWord returns a word of running text: a function word or a content word.
func (g *Generator) textWord() string {
	if g.rng.Float64() < functionShare {
		return functionWords[g.fzipf.Uint64()]
	}
	return g.Word()
}

func (g *Generator) sentence(words int) string {
	var b strings.Builder
	for i := range words {
		w := g.textWord()
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	b.WriteByte('.')
	return b.String()
}

// Article returns the next article: a title of 6 to 12 words and a body of
// about words words in paragraphs of two or three sentences.
func (g *Generator) Article(words int) article.Article {
	g.n++
	var paras []string
	for n := 0; n < words; {
		var p []string
		for range 2 + g.rng.IntN(2) {
			k := 8 + g.rng.IntN(20)
			p = append(p, g.sentence(k))
			n += k
		}
		paras = append(paras, strings.Join(p, " "))
	}
	title := strings.TrimSuffix(g.sentence(6+g.rng.IntN(7)), ".")
	return article.Article{
		Title:     title,
		Body:      strings.Join(paras, "\n"),
		URL:       fmt.Sprintf("https://news.example/%d", g.n),
		Author:    "Staff Reporter",
		Source:    "generated",
		Published: g.start.Add(time.Duration(g.n) * 7 * time.Minute),
	}
}
