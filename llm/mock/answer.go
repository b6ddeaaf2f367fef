package mock

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultWords is the mock's word limit when the prompt states none.
const DefaultWords = 60

var (
	wordLimit  = regexp.MustCompile(`(?i)at most (\d+) words`)
	articleBeg = regexp.MustCompile(`(?i)<article>`)
	articleEnd = regexp.MustCompile(`(?i)</article>`)
)

// Reply returns the text the mock's normal model answers to a system and a
// user message (before any max_tokens cut): the first sentences of the
// article between <article> and </article> in user, or of user itself when
// it holds no article, within the word limit stated in either message ("at
// most N words", else DefaultWords). The words are the article's own, with
// runs of white space made single spaces.
//
// When user holds a <question> and numbered <passage source="N"> blocks (the
// answer prompt), the reply is instead the passage sentence sharing the most
// words with the question, followed by its citation [N], or "[none] The
// stored stories don't say." when no sentence shares a word.
func Reply(system, user string) string {
	if q, ok := between(user, "<question>", "</question>"); ok {
		return answerFrom(q, user)
	}
	limit := DefaultWords
	for _, s := range []string{user, system} {
		if m := wordLimit.FindStringSubmatch(s); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
				limit = n
				break
			}
		}
	}
	return lead(articleText(user), limit)
}

var passageBlock = regexp.MustCompile(`(?s)<passage source="(\d+)">(.*?)</passage>`)

// answerFrom answers question from the passages in prompt.
func answerFrom(question, prompt string) string {
	want := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(question), notLetter) {
		if len(w) > 3 {
			want[w] = true
		}
	}
	best, bestScore, source := "", 0, ""
	for _, m := range passageBlock.FindAllStringSubmatch(prompt, -1) {
		text := m[2]
		if _, rest, ok := strings.Cut(strings.TrimSpace(text), "\n"); ok {
			text = rest // the "Story: title (date)" line
		}
		for _, sent := range sentences(text) {
			score := 0
			for _, w := range strings.FieldsFunc(strings.ToLower(sent), notLetter) {
				if want[w] {
					score++
				}
			}
			if score > bestScore {
				best, bestScore, source = sent, score, m[1]
			}
		}
	}
	if best == "" {
		return "[none] The stored stories don't say."
	}
	return best + " [" + source + "]"
}

func notLetter(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// between returns the text of s between the last open tag and the close
// tag after it.
func between(s, open, close string) (string, bool) {
	i := strings.LastIndex(s, open)
	if i < 0 {
		return "", false
	}
	rest := s[i+len(open):]
	j := strings.Index(rest, close)
	if j < 0 {
		return "", false
	}
	return strings.TrimSpace(rest[:j]), true
}

// articleText returns the text of the last delimited article in s, without
// a leading "Title: …" line; s itself when it has no article.
func articleText(s string) string {
	begs := articleBeg.FindAllStringIndex(s, -1)
	if len(begs) == 0 {
		return s
	}
	body := s[begs[len(begs)-1][1]:]
	if end := articleEnd.FindStringIndex(body); end != nil {
		body = body[:end[0]]
	}
	body = strings.TrimSpace(body)
	if rest, ok := strings.CutPrefix(body, "Title:"); ok {
		if _, after, found := strings.Cut(rest, "\n"); found {
			body = strings.TrimSpace(after)
		} else {
			body = ""
		}
	}
	return body
}

// lead returns the first whole sentences of text within limit words; when
// the first sentence alone is longer, its first limit words and "…".
func lead(text string, limit int) string {
	var out []string
	words := 0
	for _, sent := range sentences(text) {
		n := len(strings.Fields(sent))
		if words+n > limit {
			if len(out) == 0 {
				return strings.Join(strings.Fields(sent)[:limit], " ") + "…"
			}
			break
		}
		out = append(out, sent)
		words += n
	}
	return strings.Join(out, " ")
}

// sentences splits text at ., ! or ? (with any closing quotes or brackets)
// followed by space and then an upper-case letter, a digit or an opening
// quote. Simple, and good enough for a mock. Each sentence has its white
// space collapsed.
func sentences(text string) []string {
	fields := strings.Fields(text)
	var out []string
	start := 0
	for i := range fields {
		if i+1 < len(fields) && endsSentence(fields[i]) && startsSentence(fields[i+1]) {
			out = append(out, strings.Join(fields[start:i+1], " "))
			start = i + 1
		}
	}
	if start < len(fields) {
		out = append(out, strings.Join(fields[start:], " "))
	}
	return out
}

func endsSentence(w string) bool {
	w = strings.TrimRight(w, `"'”’)]»`)
	r, _ := utf8.DecodeLastRuneInString(w)
	return r == '.' || r == '!' || r == '?'
}

func startsSentence(w string) bool {
	w = strings.TrimLeft(w, `"'“‘([«`)
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r) || unicode.IsDigit(r)
}

// Tokens estimates text's token count as the mock reports it: 1.3 a word,
// rounded up.
func Tokens(text string) int {
	return int(math.Ceil(float64(len(strings.Fields(text))) * 1.3))
}

// cutTokens keeps the first words of text whose estimate fits in limit.
func cutTokens(text string, limit int) string {
	words := strings.Fields(text)
	n := int(float64(limit) / 1.3)
	return strings.Join(words[:min(n, len(words))], " ")
}
