// Package check is the one check every model text passes before anyone sees
// it: a summary, an answer, or a draft of either while the model writes.
//
// A Checker holds what a model's text may draw on (the story or the cited
// passages) and what it must not repeat (its instructions). Its Text method
// returns Findings, each naming the rule that fired and the words that made
// it fire; none means the text may be shown. The rules:
//
//   - faithfulness: every number, quotation and capitalized name is in the
//     source (see Unsupported);
//   - prompt-leak: no run of LeakWords consecutive words of the
//     instructions, nor a whole sentence of them, unless the source holds
//     it too (see Leaks);
//   - link: no URL, masked link ("[text](…)") or Discord mention, channel
//     or role syntax ("<@…>", "<#…>", "@everyone") that the source does not
//     hold whole.
//
// A reply still being written (a draft) must also hold nothing that may
// not be final: see Checker.Hold.
//
// Clean, which every reply goes through first, removes a thinking model's
// reasoning (<think>…</think>) and repairs invalid UTF-8. What a product
// checks beyond this (length, sentence ends, citations) is the product's.
package check

import (
	"unicode"
	"unicode/utf8"
)

// Rule names, as Finding.Rule gives them.
const (
	RuleNumber = "number"      // a number the source lacks
	RuleQuote  = "quote"       // a quotation the source lacks
	RuleName   = "name"        // a capitalized name the source lacks
	RuleLeak   = "prompt-leak" // words of the instructions
	RuleLink   = "link"        // a link, URL or mention the source lacks
)

// Finding is one thing in a model's text that the check does not accept.
type Finding struct {
	Rule string // one of the Rule… constants
	Text string // the words that made it fire, as they appear in the text
}

func (f Finding) String() string { return f.Rule + " " + `"` + f.Text + `"` }

// Checker checks model texts against one source and one set of
// instructions. Make one with New for each model call: it indexes the
// source once, so checking a draft sentence by sentence stays cheap. It is
// not safe for concurrent use.
type Checker struct {
	source       string
	instructions string
	index        *sourceIndex    // built on first use
	lowerSource  string          // built on first use
	links        map[string]bool // the source's links, built on first use
}

// New returns a Checker for texts written from source (a story's title and
// text, or an answer's passages) under instructions (the system prompt).
func New(source, instructions string) *Checker {
	return &Checker{source: source, instructions: instructions}
}

// Text runs every rule on text and returns what they found, in rule order
// (faithfulness, prompt leak, links); nil means text may be shown. Markers
// a product adds itself (an answer's citations) are the product's to
// remove first: a number in brackets is a number here.
func (c *Checker) Text(text string) []Finding {
	if c.index == nil {
		c.index = indexLower(c.source, c.lower())
	}
	out := unsupported(text, c.index)
	if leak, ok := c.leak(text); ok {
		out = append(out, Finding{Rule: RuleLeak, Text: leak})
	}
	return c.appendLinks(out, text)
}

func (c *Checker) lower() string {
	if c.lowerSource == "" && c.source != "" {
		c.lowerSource = lower(c.source)
	}
	return c.lowerSource
}

// lower is strings.ToLower, faster on text that is mostly ASCII with a few
// other characters (news text: "£", "’", "—"), where strings.ToLower maps
// every character through unicode.ToLower.
func lower(s string) string {
	ascii, upper := true, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		upper = upper || 'A' <= c && c <= 'Z'
	}
	if ascii && !upper {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[i]) // as strings.ToLower would keep it
		} else {
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
		i += size
	}
	return string(b)
}
