package check

import (
	"fmt"
	"strings"
	"unicode"

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
	sys := leakWords(c.instructions)
	if len(sys) < LeakWords {
		return "", false
	}
	seen := make(map[string]bool, len(sys))
	for i := 0; i+LeakWords <= len(sys); i++ {
		seen[strings.Join(sys[i:i+LeakWords], " ")] = true
	}
	ans := leakWords(text)
	if sent, ok := c.sentenceLeak(text, sys); ok {
		return sent, true
	}
	var inSource map[string]bool // built only when a run matches
	for i := 0; i+LeakWords <= len(ans); i++ {
		run := strings.Join(ans[i:i+LeakWords], " ")
		if !seen[run] {
			continue
		}
		if inSource == nil {
			inSource = map[string]bool{}
			src := leakWords(c.source)
			for j := 0; j+LeakWords <= len(src); j++ {
				inSource[strings.Join(src[j:j+LeakWords], " ")] = true
			}
		}
		if !inSource[run] {
			return fmt.Sprintf("%d words of the instructions from word %d", LeakWords, i+1), true
		}
	}
	return "", false
}

func leakWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// sentenceLeak finds a sentence of text, of LeakSentenceWords words or
// more, whose words are a run of the instructions' and not of the source's.
func (c *Checker) sentenceLeak(text string, sys []string) (string, bool) {
	padded := " " + strings.Join(sys, " ") + " "
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
