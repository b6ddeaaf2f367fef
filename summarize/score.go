package summarize

import (
	"strings"
	"unicode/utf8"

	"github.com/storybot/storybot/newstext"
)

// weights are the weights of the sentence score and the selection limits.
// There is one set, defaultWeights, the same for every article and style; it
// was chosen on half of a news data set and checked on the other half.
type weights struct {
	position   float64 // weight of the lead prior 1/(1+index): news states the gist first
	centrality float64 // weight of similarity to the sentences after it: the story elaborates on what matters (PacSum's directed centrality)
	title      float64 // weight of overlap with the title, when there is one: the headline names the story
	caption    float64 // penalty for a caption or other page furniture: it describes a picture, not the story
	quote      float64 // penalty for a sentence opening with a quotation: a quote rarely stands on its own
	runOn      float64 // penalty per word beyond runOnWords: a very long sentence is often run-on captions and spends the budget
	runOnWords int
	duplicate  float64 // a sentence this similar (cosine of content terms) to a chosen one repeats it and is skipped
}

var defaultWeights = weights{
	position:   1.0,
	centrality: 0.1,
	title:      0.2,
	caption:    1.0,
	quote:      0.3,
	runOn:      0.01,
	runOnWords: 50,
	duplicate:  0.6,
}

// scoreSentences sets the score of every sentence. title holds the title's
// content terms, empty when there is none.
func scoreSentences(sents []sentence, title []int32, w *weights) {
	n := len(sents)
	// Directed centrality: how much of what follows a sentence is about.
	cent := make([]float64, n)
	maxCent := 0.0
	for i := range sents {
		for j := i + 1; j < n; j++ {
			cent[i] += cosine(sents[i].terms, sents[j].terms)
		}
		maxCent = max(maxCent, cent[i])
	}
	for i := range sents {
		s := &sents[i]
		sc := w.position / float64(1+s.pos)
		if maxCent > 0 {
			sc += w.centrality * cent[i] / maxCent
		}
		if len(title) > 0 {
			sc += w.title * cosine(s.terms, title)
		}
		if isCaption(s.text) {
			sc -= w.caption
		}
		if opensWithQuote(s.text) {
			sc -= w.quote
		}
		if s.words > w.runOnWords {
			sc -= w.runOn * float64(s.words-w.runOnWords)
		}
		s.score = sc
	}
}

// isCaption reports whether s looks like an image caption or other page
// furniture: it does not end like a sentence, or it carries the marks of one.
func isCaption(s string) bool {
	last, _ := utf8.DecodeLastRuneInString(strings.TrimRightFunc(s, newstext.IsCloser))
	if last != '.' && last != '!' && last != '?' && last != '…' {
		return true
	}
	for _, m := range captionMarks {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// captionMarks are found in captions, credits and page furniture.
var captionMarks = []string{
	"(pictured", "(left)", "(right)", "(centre)", "(center)", "(above)",
	"(below)", "(top)", "(bottom)", "(inset)", "Photo:", "Picture:",
	"Pictured:", "Credit:", "Scroll down", "Click here", "CLICK HERE",
	"READ MORE", "Getty Images", "File photo",
}

// opensWithQuote reports whether s starts with a quotation mark.
func opensWithQuote(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == '"' || r == '\'' || r == '‘' || r == '“' || r == '«'
}
