package summarize

import (
	"fmt"
	"strings"
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
	MaxWords     int // never exceeded, counted with newstext.Words
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
