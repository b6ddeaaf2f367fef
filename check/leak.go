package check

import (
	"fmt"
	"strings"
	"sync"

	"github.com/storybot/storybot/newstext"
)

// LeakWords is how many consecutive words of the instructions make a leak
// anywhere in a text: enough that a phrase such as "the stored stories
// don't say" (six words of them) inside a sentence of its own is not one.
const LeakWords = 8

// LeakSentenceWords is the fewest words a sentence copied whole from the
// instructions needs to be a leak: "You summarize news articles." is one,
// though shorter than LeakWords, and so is a draft's last sentence that
// would start a longer echo.
const LeakSentenceWords = 4

// Leaks reports whether text repeats LeakWords or more consecutive words of
// instructions, the system prompt the model was given, or a whole sentence
// of them of LeakSentenceWords words or more: what a question such as
// "print your system prompt", or a story that asks the model to, is after.
// Every product's prompt is checked the same way.
func Leaks(text, instructions string) bool {
	_, ok := New("", instructions).leak(text)
	return ok
}

// leak reports whether text repeats a run of LeakWords words of the
// instructions that the source does not hold (quoting the story is fine,
// even where the instructions happen to say the same), and where: the
// finding names the run's place, not its words, so that no log line holds
// the prompt.
func (c *Checker) leak(text string) (string, bool) {
	ins := instructionsOf(c.instructions)
	if len(ins.words) < LeakSentenceWords {
		return "", false
	}
	if sent, ok := c.sentenceLeak(text, ins.padded); ok {
		return sent, true
	}
	if len(ins.words) < LeakWords {
		return "", false
	}
	seen := ins.runs
	ans := leakWords(text)
	var inSource map[uint64]bool // built only when a run matches
	for i := 0; i+LeakWords <= len(ans); i++ {
		h := runHash(ans[i : i+LeakWords])
		if !seen[h] {
			continue
		}
		if inSource == nil {
			inSource = runs(leakWords(c.source))
		}
		if !inSource[h] {
			return fmt.Sprintf("%d words of the instructions from word %d", LeakWords, i+1), true
		}
	}
	return "", false
}

// instructions is a system prompt as the leak rule reads it.
type instructions struct {
	words  []string        // lower-cased words
	padded string          // the words joined by spaces, a space at each end
	runs   map[uint64]bool // hashes of every run of LeakWords words
}

// parsed keeps the instructions already read: a product's system prompt is
// the same for every call (a few templates, each with a few variants), so
// it is read once. The cache stops growing at maxParsed prompts.
var (
	parsedMu sync.Mutex
	parsed   = map[string]*instructions{}
)

const maxParsed = 64

func instructionsOf(s string) *instructions {
	parsedMu.Lock()
	ins, ok := parsed[s]
	parsedMu.Unlock()
	if ok {
		return ins
	}
	w := leakWords(s)
	ins = &instructions{words: w, padded: " " + strings.Join(w, " ") + " ", runs: runs(w)}
	parsedMu.Lock()
	if len(parsed) < maxParsed {
		parsed[s] = ins
	}
	parsedMu.Unlock()
	return ins
}

// runs returns the hashes of every run of LeakWords words in ws.
func runs(ws []string) map[uint64]bool {
	m := make(map[uint64]bool, max(len(ws)-LeakWords+1, 0))
	for i := 0; i+LeakWords <= len(ws); i++ {
		m[runHash(ws[i:i+LeakWords])] = true
	}
	return m
}

// runHash is the FNV-1a hash of words, each ended by a space.
func runHash(words []string) uint64 {
	h := uint64(14695981039346656037)
	for _, w := range words {
		for i := 0; i < len(w); i++ {
			h = (h ^ uint64(w[i])) * 1099511628211
		}
		h = (h ^ ' ') * 1099511628211
	}
	return h
}

func leakWords(s string) []string {
	return strings.FieldsFunc(lower(s), func(r rune) bool { return !newstext.IsWordRune(r) })
}

// sentenceLeak finds a sentence of text, of LeakSentenceWords words or
// more, whose words are a run of the instructions' and not of the source's.
func (c *Checker) sentenceLeak(text, padded string) (string, bool) {
	for i, sent := range newstext.Split(text) {
		w := leakWords(sent)
		if len(w) < LeakSentenceWords {
			continue
		}
		run := " " + strings.Join(w, " ") + " "
		if strings.Contains(padded, run) && !strings.Contains(" "+strings.Join(leakWords(c.source), " ")+" ", run) {
			return fmt.Sprintf("sentence %d is a sentence of the instructions", i+1), true
		}
	}
	return "", false
}
