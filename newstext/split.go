package newstext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Split splits news text into sentences. Each sentence is a substring of text
// with the surrounding white space trimmed; sentences only ever break at white
// space, so joined with spaces they hold every word of text in order.
//
// A line break always ends a sentence (the body of a stored article has one
// paragraph a line). Within a line a sentence ends after ".", "!", "?" or an
// ellipsis, with any closing quotes and brackets, when white space and the
// start of a new sentence follow, except after:
//
//   - titles and other abbreviations that precede a name or number ("Mr",
//     "Dr.", "St.", "Gen.", "No. 10", "Jan. 5");
//   - initials ("J. K. Rowling", "George W. Bush");
//   - dotted acronyms ("U.S.", "a.m.") unless the next word is a usual
//     sentence opener ("The", "He", "But").
//
// Image captions that news pages run into the text without a full stop ("…
// on Friday ‘I’d be over the moon…’", "… of the club He has impressed …") are
// cut off where a sentence opener or an opening quotation follows a word
// without punctuation.
func Split(text string) []string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		out = splitLine(line, out)
	}
	return out
}

// splitLine appends the sentences of one line (no "\n") to out.
func splitLine(line string, out []string) []string {
	start := 0
	emit := func(end int) {
		if s := strings.TrimSpace(line[start:end]); s != "" {
			out = append(out, s)
		}
		start = end
	}
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRuneInString(line[i:])
		switch {
		case isTerminal(r) || r == '.':
			end := endOfPunct(line, i)
			if end < len(line) && isSpace(line, end) && terminalBoundary(line, start, i, end) {
				emit(end)
			}
			i = end
			continue
		case isSpaceRune(r):
			if captionBoundary(line, start, i) {
				emit(i)
			}
		}
		i += size
	}
	emit(len(line))
	return out
}

// isTerminal reports whether r ends a sentence on its own ("." needs more checks).
func isTerminal(r rune) bool {
	return r == '!' || r == '?' || r == '…'
}

// IsCloser reports whether r is a closing quote or bracket, which may follow
// the final punctuation of a sentence.
func IsCloser(r rune) bool {
	switch r {
	case '"', '\'', '’', '”', ')', ']', '»', '›':
		return true
	}
	return false
}

// IsOpener reports whether r is an opening quote or bracket, which may
// precede the first word of a sentence.
func IsOpener(r rune) bool {
	switch r {
	case '"', '\'', '‘', '“', '(', '[', '«', '‹':
		return true
	}
	return false
}

func isSpace(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isSpaceRune(r)
}

// endOfPunct returns the index after the run of sentence punctuation and
// closing quotes or brackets that starts at i.
func endOfPunct(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != '.' && !isTerminal(r) && !IsCloser(r) {
			break
		}
		i += size
	}
	return i
}

// terminalBoundary decides whether the punctuation run s[p:end], followed by
// white space, ends the sentence that started at start.
func terminalBoundary(s string, start, p, end int) bool {
	next, nextWord := nextWord(s, end)
	if next == 0 {
		return false
	}
	if unicode.IsLower(next) {
		return false // "Apple Inc. said", "?' she asked", "... and then"
	}
	run := s[p:end]
	if strings.ContainsAny(run, "!?…") || strings.Contains(run, "..") {
		return true
	}
	// A lone full stop (maybe inside closing quotes): look at the word before it.
	word := wordBefore(s, start, p)
	if word == "" {
		return true
	}
	lw := strings.ToLower(word)
	if unicode.IsDigit(next) {
		return !numberAbbrev[lw] && !titleAbbrev[lw]
	}
	switch {
	case titleAbbrev[lw]:
		return false
	case isInitial(word):
		return false
	case isDotted(word): // U.S., a.m., D.C.
		return sentenceOpeners[nextWord]
	}
	return true
}

// nextWord returns the first letter or digit after the white space and
// opening quotes at i, and the word it starts (letters only).
func nextWord(s string, i int) (rune, string) {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) && !IsOpener(r) && r != '-' && r != '–' && r != '—' {
			break
		}
		i += size
	}
	if i >= len(s) {
		return 0, ""
	}
	first, _ := utf8.DecodeRuneInString(s[i:])
	if !unicode.IsLetter(first) && !unicode.IsDigit(first) {
		return first, ""
	}
	j := i
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if !unicode.IsLetter(r) {
			break
		}
		j += size
	}
	return first, s[i:j]
}

// wordBefore returns the token (letters, digits and dots, without opening
// brackets or quotes) that ends at p, not reaching back before start.
func wordBefore(s string, start, p int) string {
	j := p
	for j > start {
		r, size := utf8.DecodeLastRuneInString(s[start:j])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' {
			break
		}
		j -= size
	}
	return strings.Trim(s[j:p], ".")
}

// isDotted reports whether word is a dotted abbreviation such as "U.S" or
// "a.m" (the final dot trimmed): short runs of letters joined by dots.
func isDotted(word string) bool {
	if !strings.Contains(word, ".") {
		return false
	}
	for part := range strings.SplitSeq(word, ".") {
		if len(part) == 0 || len(part) > 3 {
			return false
		}
		for _, r := range part {
			if !unicode.IsLetter(r) {
				return false
			}
		}
	}
	return true
}

// isInitial reports whether word is a single capital letter ("W" of "W.").
func isInitial(word string) bool {
	r, size := utf8.DecodeRuneInString(word)
	return size == len(word) && unicode.IsUpper(r)
}

// captionBoundary reports whether the white space at i separates a caption
// run into the text from what follows: the word before it has no closing
// punctuation, and the next word opens a sentence (a pronoun or connective
// that is never capitalised mid-sentence) or a quotation that reads as speech.
func captionBoundary(s string, start, i int) bool {
	if i == 0 || i-start < 20 {
		return false
	}
	prev, size := utf8.DecodeLastRuneInString(s[:i])
	if prev == '’' || prev == '”' {
		// A closing quotation without punctuation: "dubbed ‘The Great Escape’ The story …"
		prev, _ = utf8.DecodeLastRuneInString(s[:i-size])
		if !unicode.IsLetter(prev) {
			return false
		}
	} else if !unicode.IsLower(prev) && !unicode.IsDigit(prev) && prev != ')' {
		return false
	}
	j := i
	for j < len(s) && isSpace(s, j) {
		_, size := utf8.DecodeRuneInString(s[j:])
		j += size
	}
	if j >= len(s) {
		return false
	}
	r, size := utf8.DecodeRuneInString(s[j:])
	if r == '‘' || r == '“' {
		return quotedSpeech(s, start, i, j+size)
	}
	if !unicode.IsUpper(r) {
		return false
	}
	_, w := nextWord(s, j)
	return captionOpeners[w] && !leadsIn[strings.ToLower(lastWord(s, start, i))]
}

// quotedSpeech reports whether the opening quotation mark that ends at q
// starts a quoted sentence that is not introduced by the words before it: its
// first word is capitalised, it runs several words and ends in punctuation
// before its closing mark, and the word before it does not introduce it.
func quotedSpeech(s string, start, i, q int) bool {
	first, _ := utf8.DecodeRuneInString(s[q:])
	if !unicode.IsUpper(first) || leadsIn[strings.ToLower(lastWord(s, start, i))] {
		return false
	}
	words := 1
	for k := q; k < len(s); {
		r, size := utf8.DecodeRuneInString(s[k:])
		switch {
		case r == '’' || r == '”':
			after, _ := utf8.DecodeRuneInString(s[k+size:])
			if k+size < len(s) && unicode.IsLetter(after) {
				break // an apostrophe: "I’d"
			}
			before, _ := utf8.DecodeLastRuneInString(s[:k])
			return words >= 4 && strings.ContainsRune(",.!?…", before)
		case unicode.IsSpace(r):
			words++
			if words > maxQuoteWords {
				return false
			}
		}
		k += size
	}
	return false
}

// maxQuoteWords bounds the search for the end of a quotation, keeping Split
// linear in the length of its input.
const maxQuoteWords = 80

// lastWord returns the letters that end just before white space at i.
func lastWord(s string, start, i int) string {
	j := i
	for j > start {
		r, size := utf8.DecodeLastRuneInString(s[start:j])
		if !unicode.IsLetter(r) {
			break
		}
		j -= size
	}
	return s[j:i]
}

// EndsSentence reports whether s ends as a finished sentence does, in any
// script: with a sentence terminal (".", "!", "?", "。", "।", "؟"…) or "…",
// possibly followed by closing quotes or brackets and space. A model's
// reply that does not was cut off, whatever its finish_reason says.
func EndsSentence(s string) bool {
	s = strings.TrimRightFunc(s, func(r rune) bool { return IsCloser(r) || unicode.IsSpace(r) })
	r, _ := utf8.DecodeLastRuneInString(s)
	return r == '…' || unicode.Is(unicode.Sentence_Terminal, r)
}
