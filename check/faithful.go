package check

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/storybot/storybot/newstext"
)

// Unsupported runs storybot's faithfulness check: it returns the numbers,
// quoted phrases and capitalized names in summary that source (the article's
// title and text) does not contain, in the order they appear. None means the
// summary passes. The check is deterministic and cheap (linear in the two
// texts) and errs toward letting a summary through: it catches invented
// names, figures and quotations, not subtler distortions.
//
//   - Numbers: each run of digits (with "," or "." inside, as in "9,731" or
//     "1.5") must be in source, compared without thousands separators, so
//     "1,000" matches "1000". A number source writes as a word from zero to
//     twenty, or as "dozen", "hundred", "thousand", "million" also counts
//     ("two" supports "2").
//   - Quotations: text between double quotes ("…" or “…”) or curly single
//     quotes (‘…’) must occur in source, ignoring case, white space, the kind
//     of quote mark and punctuation at its ends; an ellipsis inside a quotation
//     splits it into parts checked on their own. An unclosed quote is skipped.
//   - Names: a word that starts with a capital letter but does not start a
//     sentence (nor a quotation, nor follow a colon) must be a word of source,
//     ignoring case and a possessive "'s"; hyphenated words are checked part
//     by part. "I" and the titles Mr, Mrs, Ms, Dr, Sir are exempt.
func Unsupported(summary, source string) []Finding {
	return unsupported(summary, newSourceIndex(source))
}

func unsupported(text string, src *sourceIndex) []Finding {
	var out []Finding
	out = appendNumbers(out, text, src)
	out = appendQuotes(out, text, src)
	out = appendNames(out, text, src)
	return out
}

// sourceIndex is what the check looks things up in: the source and its
// lower-cased copy, searched word by word (a summary has few names and
// numbers to look up, so no index of the source's every word is built).
type sourceIndex struct {
	text    string          // the source as given
	low     string          // the source lower-cased
	numbers map[string]bool // normalised numbers, built on first use
	norm    string          // normalised text for quotations, built on first use
}

func newSourceIndex(source string) *sourceIndex {
	return indexLower(source, lower(source))
}

// indexLower indexes source, given low, its lower-cased copy.
func indexLower(source, low string) *sourceIndex {
	return &sourceIndex{text: source, low: low}
}

// hasWord reports whether the source holds w (lower-cased) as a word: not
// inside a longer word, so "silva" is found in "ana silva’s" and "silva-lee"
// but not in "silvana".
func (src *sourceIndex) hasWord(w string) bool {
	if w == "" {
		return false
	}
	for from := 0; ; {
		i := strings.Index(src.low[from:], w)
		if i < 0 {
			return false
		}
		i += from
		before, _ := utf8.DecodeLastRuneInString(src.low[:i])
		after, _ := utf8.DecodeRuneInString(src.low[i+len(w):])
		if (i == 0 || !newstext.IsWordRune(before)) && (i+len(w) == len(src.low) || !newstext.IsWordRune(after)) {
			return true
		}
		from = i + 1
	}
}

// hasNumber reports whether the source holds the normalised number n, in
// digits or, from zero to twenty and as "dozen", "hundred", "thousand" and
// "million", in words.
func (src *sourceIndex) hasNumber(n string) bool {
	if src.numbers == nil {
		src.numbers = map[string]bool{}
		for tok := range strings.FieldsFuncSeq(src.low, isTokenSep) {
			for x := range numbersIn(tok) {
				src.numbers[x] = true
			}
			for p := range wordParts(tok) {
				if x, ok := numberWords[p]; ok {
					src.numbers[x] = true
				}
			}
		}
	}
	return src.numbers[n]
}

// isTokenSep separates the tokens both sides are cut into: white space and
// the dashes and slashes that join words without a space.
func isTokenSep(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || r == '/' || ('\t' <= r && r <= '\r')
	}
	return unicode.IsSpace(r) || r == '—' || r == '–'
}

// numberWords maps the number words that a summary may write as digits.
var numberWords = map[string]string{
	"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
	"six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
	"eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
	"fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
	"nineteen": "19", "twenty": "20", "dozen": "12", "hundred": "100",
	"thousand": "1000", "million": "1000000",
}

// numbersIn yields the numbers in a token, normalised: "9,731" → "9731",
// "£1.5m" → "1.5", "10:30" → "10" and "30", "2016." → "2016".
func numbersIn(tok string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		if !hasDigit(tok) {
			return
		}
		for i := 0; i < len(tok); {
			if !isDigit(tok[i]) {
				i++
				continue
			}
			var b strings.Builder
			j := i
			for j < len(tok) {
				c := tok[j]
				switch {
				case isDigit(c):
					b.WriteByte(c)
				case c == ',' && j+1 < len(tok) && isDigit(tok[j+1]):
					// a thousands separator: dropped
				case c == '.' && j+1 < len(tok) && isDigit(tok[j+1]):
					b.WriteByte('.')
				default:
					goto done
				}
				j++
			}
		done:
			if !yield(b.String()) {
				return
			}
			i = j
		}
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}

// wordParts yields the words of a token: its runs of letters, digits and
// inner apostrophes, with a possessive "'s" dropped, split at hyphens.
func wordParts(tok string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for rest := tok; rest != ""; {
			var part string
			part, rest, _ = strings.Cut(rest, "-")
			w := trimWord(part)
			if w == "" {
				continue
			}
			if strings.IndexByte(w, '\'') >= 0 || strings.Contains(w, "’") {
				for _, suf := range []string{"'s", "’s", "'S", "’S", "'", "’"} {
					if t, ok := strings.CutSuffix(w, suf); ok && t != "" {
						w = t
						break
					}
				}
			}
			if !yield(w) {
				return
			}
		}
	}
}

// trimWord trims what is not a word rune from both ends of s.
func trimWord(s string) string {
	for s != "" {
		if c := s[0]; c < utf8.RuneSelf {
			if isASCIIWord(c) {
				break
			}
			s = s[1:]
			continue
		}
		r, size := utf8.DecodeRuneInString(s)
		if newstext.IsWordRune(r) {
			break
		}
		s = s[size:]
	}
	for s != "" {
		if c := s[len(s)-1]; c < utf8.RuneSelf {
			if isASCIIWord(c) {
				break
			}
			s = s[:len(s)-1]
			continue
		}
		r, size := utf8.DecodeLastRuneInString(s)
		if newstext.IsWordRune(r) {
			break
		}
		s = s[:len(s)-size]
	}
	return s
}

// isASCIIWord is newstext.IsWordRune for an ASCII byte.
func isASCIIWord(c byte) bool {
	return newstext.IsWordRune(rune(c))
}

func appendNumbers(out []Finding, summary string, src *sourceIndex) []Finding {
	for tok := range strings.FieldsFuncSeq(summary, isTokenSep) {
		for n := range numbersIn(tok) {
			if !src.hasNumber(n) {
				out = append(out, Finding{Rule: RuleNumber, Text: strings.TrimFunc(tok, func(r rune) bool { return !newstext.IsWordRune(r) })})
				break
			}
		}
	}
	return out
}

// appendQuotes checks the quotations in summary. A straight double quote
// opens when it starts a word and closes when it ends one; curly quotes say
// which they are. An opening quote replaces an earlier unclosed one.
func appendQuotes(out []Finding, summary string, src *sourceIndex) []Finding {
	if !strings.ContainsAny(summary, "\"“‘") {
		return out
	}
	start := -1
	var startRune rune
	for i, r := range summary {
		var opens, closes bool
		switch r {
		case '“', '‘':
			opens = true
		case '”':
			closes = startRune == '“' || startRune == '"'
		case '’':
			// Also an apostrophe: it closes only a ‘ quotation, and only
			// where a word ends.
			closes = startRune == '‘' && !letterAt(summary, i+utf8.RuneLen(r))
		case '"':
			before, _ := utf8.DecodeLastRuneInString(summary[:i])
			opens = i == 0 || unicode.IsSpace(before) || strings.ContainsRune("([{—–-", before)
			closes = !opens
		}
		switch {
		case opens:
			start, startRune = i+utf8.RuneLen(r), r
		case closes && start >= 0:
			phrase := summary[start:i]
			start, startRune = -1, 0
			for part := range strings.SplitSeq(strings.ReplaceAll(phrase, "...", "…"), "…") {
				if t := strings.TrimSpace(part); t != "" && strings.Contains(src.text, t) {
					continue // verbatim: no need to normalise the source
				}
				p := normQuote(part)
				if p == "" {
					continue
				}
				if !strings.Contains(src.normalized(), p) {
					out = append(out, Finding{Rule: RuleQuote, Text: strings.TrimSpace(phrase)})
					break
				}
			}
		}
	}
	return out
}

func letterAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r)
}

func (src *sourceIndex) normalized() string {
	if src.norm == "" {
		src.norm = " " + normQuote(src.text) + " "
	}
	return src.norm
}

// normQuote prepares text for comparing quotations: lower case, quote marks
// and apostrophes made straight, runs of white space made one space, and
// punctuation at the ends trimmed.
func normQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case r == '‘' || r == '’' || r == '`':
			r = '\''
		case r == '“' || r == '”':
			r = '"'
		default:
			r = unicode.ToLower(r)
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimFunc(b.String(), func(r rune) bool { return !newstext.IsWordRune(r) })
}

// nameExempt are capitalized words that need not occur in the article.
var nameExempt = map[string]bool{
	"I": true, "I'm": true, "I’m": true, "I've": true, "I’ve": true, "I'll": true, "I’ll": true,
	"I'd": true, "I’d": true, "Mr": true, "Mrs": true, "Ms": true, "Dr": true, "Sir": true,
}

func appendNames(out []Finding, summary string, src *sourceIndex) []Finding {
	initial := true // the next word starts a sentence
	for tok := range strings.FieldsFuncSeq(summary, isTokenSep) {
		first, _ := utf8.DecodeRuneInString(tok)
		starts := initial || newstext.IsOpener(first)
		last, _ := utf8.DecodeLastRuneInString(strings.TrimRightFunc(tok, newstext.IsCloser))
		initial = last == '.' || last == '!' || last == '?' || last == '…' || last == ':' || last == ';'
		if starts {
			continue
		}
		w := strings.TrimFunc(tok, func(r rune) bool { return !newstext.IsWordRune(r) })
		if r, _ := utf8.DecodeRuneInString(w); !unicode.IsUpper(r) || nameExempt[strings.TrimRight(w, ".")] {
			continue
		}
		for p := range wordParts(tok) {
			if r, _ := utf8.DecodeRuneInString(p); !unicode.IsUpper(r) {
				continue
			}
			if !src.hasWord(lower(p)) {
				out = append(out, Finding{Rule: RuleName, Text: w})
				break
			}
		}
	}
	return out
}
