package check

import (
	"strings"
	"unicode/utf8"

	"github.com/storybot/storybot/newstext"
)

// Hold reports whether text, the start of a reply the model is still
// writing, should wait before it is shown although it passes Text:
//
//   - it has an unclosed quotation, which the quotation rule cannot check
//     until it closes;
//   - a sentence outside quotations talks about the task rather than the
//     story ("I", "me", "the user", "summary", "okay") in words the source
//     does not use: the reasoning of a model whose server dropped the
//     opening <think>, which a later </think> removes from the reply.
//
// A reply that is complete is checked by Text alone.
func (c *Checker) Hold(text string) bool {
	if openQuote(text) {
		return true
	}
	if c.index == nil {
		c.index = indexLower(c.source, c.lower())
	}
	for _, w := range strings.FieldsFunc(outsideQuotes(text), func(r rune) bool { return !newstext.IsWordRune(r) && r != '\'' && r != '’' }) {
		lw := lower(strings.Trim(w, "'’"))
		if taskWords[lw] && !c.index.hasWord(lw) {
			return true
		}
	}
	return false
}

// taskWords are words a model uses about its task and a news summary or
// answer rarely uses outside a quotation.
var taskWords = map[string]bool{
	"i": true, "i'm": true, "i’m": true, "i'll": true, "i’ll": true, "i've": true, "i’ve": true, "i'd": true, "i’d": true,
	"me": true, "my": true, "let's": true, "let’s": true, "okay": true, "ok": true, "hmm": true,
	"user": true, "user's": true, "user’s": true, "summary": true, "summarize": true, "summarise": true,
	"prompt": true, "instructions": true,
}

// openQuote reports whether text ends inside a quotation: a double quote,
// or a curly one, opened and not closed.
func openQuote(text string) bool {
	straight := strings.Count(text, `"`)
	return straight%2 == 1 || strings.Count(text, "“") > strings.Count(text, "”") ||
		strings.Count(text, "‘") > strings.Count(text, "’")-apostrophes(text)
}

// apostrophes counts the ’ that stand between two letters ("don’t"): not
// closing quotation marks.
func apostrophes(text string) int {
	n := 0
	for i := 0; ; {
		j := strings.Index(text[i:], "’")
		if j < 0 {
			return n
		}
		i += j
		before, _ := utf8.DecodeLastRuneInString(text[:i])
		after, _ := utf8.DecodeRuneInString(text[i+len("’"):])
		if newstext.IsWordRune(before) && newstext.IsWordRune(after) {
			n++
		}
		i += len("’")
	}
}

// outsideQuotes returns text without what is between quotation marks.
func outsideQuotes(text string) string {
	var b strings.Builder
	depth := 0
	for _, r := range text {
		switch r {
		case '“':
			depth++
			continue
		case '”':
			depth = max(depth-1, 0)
			continue
		case '"':
			if depth > 0 {
				depth--
			} else {
				depth++
			}
			continue
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}
