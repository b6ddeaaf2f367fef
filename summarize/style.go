package summarize

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Style is the length of summary asked for.
type Style int

// The summary styles. The zero Style is not valid; use ParseStyle or a constant.
const (
	Brief    Style = iota + 1 // one or two sentences, at most 45 words
	Standard                  // about three sentences (two to four), at most 90 words
	Detailed                  // five or six sentences, at most 160 words
)

// styleNames lists the styles in order, as ParseStyle accepts them.
var styleNames = []string{Brief: "brief", Standard: "standard", Detailed: "detailed"}

// String returns the style's name as ParseStyle accepts it.
func (s Style) String() string {
	if s >= Brief && s <= Detailed {
		return styleNames[s]
	}
	return fmt.Sprintf("Style(%d)", int(s))
}

// ParseStyle returns the style named name (case-insensitive, surrounding space
// ignored).
func ParseStyle(name string) (Style, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for s := Brief; s <= Detailed; s++ {
		if styleNames[s] == n {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown summary style %q: want one of %s", name, strings.Join(styleNames[Brief:], ", "))
}

// Budget is the length allowed to a style's summaries.
type Budget struct {
	MinSentences int // chosen whenever the words allow it
	MaxSentences int
	MaxWords     int // never exceeded, counted with Words
}

// Budget returns the style's length budget. An invalid style gets Standard's.
func (s Style) Budget() Budget {
	switch s {
	case Brief:
		return Budget{MinSentences: 1, MaxSentences: 2, MaxWords: 45}
	case Detailed:
		return Budget{MinSentences: 5, MaxSentences: 6, MaxWords: 160}
	}
	return Budget{MinSentences: 2, MaxSentences: 4, MaxWords: 90}
}

// Words counts the words of s as every length budget in storybot does: the
// runs of non-space characters that hold at least one letter or digit, so a
// dash or a bullet standing alone is not a word, and "U.S.-led" is one.
func Words(s string) int {
	n := 0
	in, hasAlnum := false, false
	for _, r := range s {
		if isSpaceRune(r) {
			if in && hasAlnum {
				n++
			}
			in, hasAlnum = false, false
			continue
		}
		in = true
		if isWordRune(r) {
			hasAlnum = true
		}
	}
	if in && hasAlnum {
		n++
	}
	return n
}

// isWordRune reports whether r is a letter or a digit.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// isSpaceRune is unicode.IsSpace with a fast path for ASCII.
func isSpaceRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || '\t' <= r && r <= '\r'
	}
	return unicode.IsSpace(r)
}
