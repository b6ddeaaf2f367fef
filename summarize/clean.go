package summarize

import (
	"regexp"
	"strings"

	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/newstext"
)

// preamble matches the chatter some models put before a summary despite the
// prompt: "Sure! Here is a brief summary of the article:", "Summary:",
// "**Summary:**". It must end in a colon (or, for "Here is …", a full stop or
// colon), so a summary that merely starts with "Here" is left alone.
var preamble = regexp.MustCompile(`(?i)^\s*(?:(?:sure|certainly|of course|okay|ok)\b[!,.]?\s*)?` +
	`(?:here(?:'s|’s| is| are)\b[^:\n.]{0,80}\b(?:summary|summari[sz]ed?|overview)\b[^:\n.]{0,40}[:.]` +
	`|[*_#\s]*(?:(?:a |the )?(?:brief |short |standard |detailed )?summary)[*_\s]*:[*_]*)\s*`)

// StripPreamble removes a leading "Here is a summary of the article:" or
// "Summary:" (see preamble), and returns s unchanged when it has none.
func StripPreamble(s string) string {
	if loc := preamble.FindStringIndex(s); loc != nil {
		return s[loc[1]:]
	}
	return s
}

// clean turns a model's reply, cleaned by check.Clean, into the summary to
// check: preamble removed, white space collapsed to single spaces.
func clean(reply string) string {
	s := strings.Join(strings.Fields(reply), " ")
	return strings.TrimSpace(StripPreamble(s))
}

// fitBudget returns s cut back to max words at a sentence boundary, and
// whether that was possible: s itself when it fits, false when it is over
// generate.TooLongFactor × max or its first sentence alone is over max.
func fitBudget(s string, max int) (string, bool) {
	n := newstext.Words(s)
	if n <= max {
		return s, true
	}
	if float64(n) > generate.TooLongFactor*float64(max) {
		return "", false
	}
	words, end := 0, 0
	for _, sent := range newstext.Split(s) {
		w := newstext.Words(sent)
		if words+w > max {
			break
		}
		words += w
		end = strings.Index(s[end:], sent) + end + len(sent)
	}
	if end == 0 {
		return "", false
	}
	return strings.TrimSpace(s[:end]), true
}
