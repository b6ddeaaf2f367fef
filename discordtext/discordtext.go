// Package discordtext is storybot's one output policy: it decides how any
// text that storybot did not write itself (a story's title, author or body,
// a feed's entry, a model's summary or answer, a user's question) appears in
// Discord or in a terminal.
//
// Three renderings, one for each kind of place text goes:
//
//   - Markdown, for the fields Discord renders as markdown (an embed's title
//     and description, a field's name and value, a message's content): the
//     text reads as the plain text it is, with no formatting, heading, quote,
//     list, code, spoiler, link, mention, channel, emoji, command or
//     timestamp of its own.
//   - Plain, for the fields Discord shows literally (an embed's footer text
//     and author name, an autocomplete choice's name): one line, no escapes.
//   - Terminal, for the console: no control character or escape sequence
//     reaches the terminal.
//
// All three repair invalid UTF-8 and remove the characters a reader cannot
// see but that change what is shown: control characters (but newlines and
// tabs, where they are kept), format characters (Unicode category Cf: zero
// width spaces and joiners U+200B–U+200D, the marks and embeddings that
// reorder text U+200E–U+200F, U+202A–U+202E, U+2066–U+2069, the invisible
// operators U+2060–U+2064, the byte order mark U+FEFF, the soft hyphen
// U+00AD, tag characters…) and the Hangul fillers that show as blank
// letters. The stored story is untouched: only what is shown is changed.
//
// Limits: Discord's limits are counted in UTF-16 code units (Units), the
// stricter of the two readings (../shared/discord-api/limits.json); Cut,
// CutEscaped and FitSentences keep text within them.
package discordtext

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/storybot/storybot/newstext"
)

// Discord's message limits (../shared/discord-api/limits.json), in
// characters counted as UTF-16 code units, the stricter reading.
const (
	MaxContent     = 2000 // a message's content
	MaxTitle       = 256  // an embed's title
	MaxDescription = 4096 // an embed's description
	MaxFields      = 25   // an embed's fields
	MaxFieldName   = 256  // a field's name
	MaxFieldValue  = 1024 // a field's value
	MaxFooter      = 2048 // an embed's footer text
	MaxAuthorName  = 256  // an embed's author name
	MaxEmbedTotal  = 6000 // title, description, fields, footer and author of all a message's embeds
	MaxURL         = 2048 // an embed's URL
	MaxChoices     = 25   // an autocomplete's choices
	MaxChoiceName  = 100  // a choice's name
	MaxChoiceValue = 100  // a choice's string value
)

// TrimNote ends a description that was cut to fit (FitSentences).
const TrimNote = "\n\n*(Trimmed to fit Discord's limits.)*"

// Units counts s as Discord's limits do: in UTF-16 code units (a character
// outside the Basic Multilingual Plane, as most emoji, counts 2).
func Units(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// Cut returns s cut to at most n units, at a word boundary when there is
// one in the last half, with "…" added when anything was cut.
func Cut(s string, n int) string {
	if n >= len(s) || Units(s) <= n { // len(s) bytes ≥ Units(s)
		return s
	}
	if n <= 1 {
		return ""
	}
	k, used := 0, 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if used+w > n-1 {
			k = i
			break
		}
		used += w
	}
	out := s[:k]
	if i := strings.LastIndexAny(out, " \n"); i > len(out)/2 {
		out = out[:i]
	}
	return strings.TrimSpace(out) + "…"
}

// CutEscaped is Cut for text escaped by Markdown: it never leaves a lone
// backslash at the end, which would escape what follows (or show).
func CutEscaped(s string, n int) string {
	s = Cut(s, max(n, 1))
	t, cut := strings.CutSuffix(s, "…")
	if !cut {
		return s
	}
	if k := len(t) - len(strings.TrimRight(t, `\`)); k%2 == 1 {
		t = t[:len(t)-1]
	}
	return t + "…"
}

// FitSentences returns markdown text (from Markdown) within n units: whole
// sentences (split with newstext.Split, paragraphs kept) followed by
// TrimNote when anything was left out, or cut text when not even one
// sentence fits.
func FitSentences(text string, n int) string {
	if Units(text) <= n {
		return text
	}
	room := n - Units(TrimNote)
	if room <= 0 {
		return CutEscaped(text, n)
	}
	end, pos, used := 0, 0, 0
	for _, s := range newstext.Split(text) {
		i := strings.Index(text[pos:], s)
		if i < 0 {
			break
		}
		e := pos + i + len(s)
		u := used + Units(text[pos:e])
		if u > room {
			break
		}
		end, pos, used = e, e, u
	}
	if end == 0 {
		return CutEscaped(text, room) + TrimNote
	}
	t := strings.TrimSpace(text[:end])
	if k := len(t) - len(strings.TrimRight(t, `\`)); k%2 == 1 {
		t = t[:len(t)-1]
	}
	return t + TrimNote
}

// invisible reports whether r is a character a reader does not see that
// changes how text is shown: a control character, a format character
// (Cf: zero-width, bidirectional, soft hyphen, BOM, tags…), a Hangul
// filler, or a line or paragraph separator (handled as a newline by the
// callers that keep lines).
func invisible(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		return true
	case r < 0xa0:
		return r >= 0x80 // C1 controls
	case r == 0x115f || r == 0x1160 || r == 0x3164 || r == 0xffa0:
		return true // Hangul fillers: blank "letters"
	case r == 0x2028 || r == 0x2029:
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// clean repairs invalid UTF-8 (each bad byte becomes U+FFFD), removes ANSI
// escape sequences whole (see Terminal) and invisible characters. With lines, "\r\n", "\r", U+2028 and U+2029
// become "\n" and tabs are kept; without, every newline and tab becomes
// a space.
func clean(s string, lines bool) string { return cleanHead(s, lines, -1) }

// cleanHead is clean of s's beginning: it stops once it has kept limit
// characters (no limit when limit < 0), so a long text costs no more than
// the part of it that can be shown.
func cleanHead(s string, lines bool, limit int) string {
	if hasEscapes(s) {
		s = stripEscapes(strings.ToValidUTF8(s, "\uFFFD"))
	}
	var b strings.Builder
	last, kept := 0, 0 // s[last:i] is kept as it is, not yet written
	i := 0
	for i < len(s) && kept != limit {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			kept++
			continue
		}
		r, w := rune(c), 1
		if c >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
		var repl string
		switch {
		case r == utf8.RuneError && w == 1:
			repl = "\uFFFD"
		case r == '\r' && i+1 < len(s) && s[i+1] == '\n':
			// the "\n" follows
		case r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029:
			repl = " "
			if lines {
				repl = "\n"
			}
		case r == '\t':
			repl = " "
			if lines {
				repl = "\t"
			}
		case invisible(r):
		default:
			i += w
			kept++
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:i])
		b.WriteString(repl)
		if repl != "" {
			kept++
		}
		i += w
		last = i
	}
	if last == 0 && i == len(s) {
		return s
	}
	b.WriteString(s[last:i])
	return b.String()
}

// urlEscaper percent-encodes what could end a markdown link or open
// another.
var urlEscaper = strings.NewReplacer("(", "%28", ")", "%29", "<", "%3C", ">", "%3E", " ", "%20", "[", "%5B", "]", "%5D", `\`, "%5C")

// bracketReplacer makes square brackets round, for a link's text.
var bracketReplacer = strings.NewReplacer("[", "(", "]", ")")

// markdownEscaper puts a backslash before each character Discord's
// markdown gives a meaning to, so none of it is drawn:
//
//   - \ * _ ~ ` | : emphasis, underline, strikethrough, code, spoilers,
//     and the backslash itself (so the text cannot escape an escape);
//   - > # - : quotes, headings ("# ", "-# " subtext) and lists;
//   - < : mentions (<@…>, <@!…>, <@&…>), channels (<#…>), emoji, slash
//     command mentions (</…:…>), timestamps (<t:…>) and <URL> links;
//   - @ : "@everyone" and "@here" ("\@everyone" shows as "@everyone";
//     nothing pings anyway, allowed_mentions is empty);
//   - "](" : a masked link [text](URL);
//   - "://" becomes "\://": Discord links a bare http(s):// URL by
//     itself, and "https\://host" is shown as "https://host" but is not a
//     link.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`,
	">", `\>`, "#", `\#`, "-", `\-`, "<", `\<`, "@", `\@`,
	"](", `]\(`, "://", `\://`,
)

// Markdown returns s as it must be put in a field Discord renders as
// markdown (an embed's title or description, a field's name or value, a
// message's content) to read as the plain text it is: invalid UTF-8
// repaired, ANSI escape sequences and invisible characters removed
// (newlines and tabs kept), every markdown character escaped with a
// backslash (see markdownEscaper), and the "1." of a numbered list escaped
// at the start of a line. The only links in a reply are then the ones
// storybot adds itself.
//
// Cut the result with CutEscaped or FitSentences, not Cut.
func Markdown(s string) string {
	return escapeLists(markdownEscaper.Replace(clean(s, true)))
}

// MarkdownHead is Markdown of as much of s as can show in n units, for
// text that may be long (a story, a model's reply): when s holds more, the
// result is still over n units, so FitSentences or CutEscaped cuts it and
// says so. A 100 KB reply costs no more to show than a few KB.
func MarkdownHead(s string, n int) string {
	return escapeLists(markdownEscaper.Replace(cleanHead(s, true, n+1)))
}

// escapeLists escapes the dot of "12. " at the start of a line (after
// spaces), which Discord draws as a numbered list.
func escapeLists(s string) string {
	var b *strings.Builder
	last := 0
	for start := 0; start < len(s); {
		j := start
		for j < len(s) && s[j] == ' ' {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j && k+1 < len(s) && s[k] == '.' && (s[k+1] == ' ' || s[k+1] == '\t') {
			if b == nil {
				b = &strings.Builder{}
				b.Grow(len(s) + 8)
			}
			b.WriteString(s[last:k])
			b.WriteByte('\\')
			last = k
		}
		nl := strings.IndexByte(s[start:], '\n')
		if nl < 0 {
			break
		}
		start += nl + 1
	}
	if b == nil {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// Plain returns s as it must be put in a field Discord shows literally,
// without markdown (an embed's footer text or author name, an
// autocomplete choice's name): invalid UTF-8 repaired, ANSI escape
// sequences and invisible characters removed, and every run of white space (newlines too) one
// space, trimmed. Nothing is escaped: a backslash would show.
func Plain(s string) string {
	return strings.Join(strings.Fields(clean(s, false)), " ")
}

// Terminal returns s fit to print on a terminal, on one line: invalid
// UTF-8 repaired, ANSI escape sequences (ESC [ … CSI, ESC ] … OSC to BEL
// or ESC \, ESC P/X/^/_ strings to ESC \, other ESC x pairs, and their
// C1 forms) removed whole, then every other control and invisible
// character removed, newlines and tabs made spaces. A hostile story or
// model cannot move the cursor, recolour, retitle or clear the terminal,
// nor reorder the line with bidirectional controls.
func Terminal(s string) string { return clean(s, false) }

// hasEscapes reports whether s may hold an ANSI escape sequence: ESC, or
// a C1 control (U+0080–U+009F, CSI and OSC among them).
func hasEscapes(s string) bool {
	if strings.IndexByte(s, 0x1b) >= 0 {
		return true
	}
	for i := 0; ; {
		j := strings.IndexByte(s[i:], 0xc2) // C1 controls are C2 80 to C2 9F
		if j < 0 {
			return false
		}
		i += j + 1
		if i < len(s) && s[i] >= 0x80 && s[i] <= 0x9f {
			return true
		}
	}
}

// stripEscapes removes ANSI escape sequences from s.
func stripEscapes(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		kind := rune(0) // '[' CSI, ']' OSC, 'P' a string to ST
		switch {
		case r == 0x1b && i+1 < len(rs):
			switch n := rs[i+1]; n {
			case '[':
				kind = '['
			case ']':
				kind = ']'
			case 'P', 'X', '^', '_':
				kind = 'P'
			default:
				i++ // a two-character sequence (ESC 7, ESC c, ESC ( B…)
				if n == '(' || n == ')' || n == '*' || n == '+' || n == '#' || n == '%' {
					i++ // with its one-character argument
				}
				continue
			}
			i++
		case r == 0x9b:
			kind = '['
		case r == 0x9d:
			kind = ']'
		case r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f:
			kind = 'P'
		case r == 0x1b:
			continue
		default:
			b.WriteRune(r)
			continue
		}
		// i is at the sequence's introducer; skip its body.
		switch kind {
		case '[': // parameters 0x30–0x3f, intermediates 0x20–0x2f, a final 0x40–0x7e
			for i+1 < len(rs) {
				c := rs[i+1]
				if c < 0x20 || c > 0x7e {
					break // not part of a CSI: left to be cleaned or shown
				}
				i++
				if c >= 0x40 {
					break
				}
			}
		default: // to BEL (OSC), ST (ESC \ or U+009C), or the end
			for i+1 < len(rs) {
				i++
				c := rs[i]
				if c == 0x9c || (c == 0x07 && kind == ']') {
					break
				}
				if c == 0x1b && i+1 < len(rs) && rs[i+1] == '\\' {
					i++
					break
				}
			}
		}
	}
	return b.String()
}

// SafeURL returns u fit for a link storybot adds itself (an embed's URL, a
// source's masked link): an absolute http or https URL with a host, its
// user name and password dropped (they make "https://trusted.example@other"
// look like another site), with the characters that could end a markdown
// link or open another ("(", ")", "<", ">", "[", "]", spaces)
// percent-encoded, of at most MaxURL units. ok is false for anything else.
func SafeURL(u string) (string, bool) {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return "", false
	}
	p.User = nil
	out := urlEscaper.Replace(p.String())
	if Units(out) > MaxURL {
		return "", false
	}
	return out, true
}

// LinkText returns s as the text of a masked link storybot adds itself
// ("[text](URL)"), and whether it can be one. Inside a masked link
// Discord shows a backslash rather than reading it as an escape, so the
// text cannot be escaped: it is Plain, with "[" and "]" made "(" and ")",
// and ok is false when it still holds a character markdown would draw
// (\ * _ ~ ` < > @, "||", or "://", which Discord refuses in a link's
// text and would then link). Show Markdown(s) without a link then.
func LinkText(s string) (string, bool) {
	s = bracketReplacer.Replace(Plain(s))
	if s == "" || strings.ContainsAny(s, "\\*_~`<>@") || strings.Contains(s, "||") || strings.Contains(s, "://") {
		return s, false
	}
	return s, true
}
