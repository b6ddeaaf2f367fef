package summarize

import (
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/storybot/storybot/newstext"
)

// vocab gives each distinct content term of one article a small integer, so
// sentences can be compared as sorted integer sets.
type vocab struct {
	ids map[string]int32
	buf []byte
}

func newVocab() *vocab { return &vocab{ids: make(map[string]int32, 256)} }

// terms returns the sorted, distinct content terms of s: lowercased words
// without stop words, lightly stemmed, each mapped to its id.
func (v *vocab) terms(s string, out []int32) []int32 {
	out = out[:0]
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !newstext.IsWordRune(r) {
			i += size
			continue
		}
		v.buf = v.buf[:0]
		for i < len(s) {
			if c := s[i]; c < utf8.RuneSelf {
				// ASCII fast path.
				if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
					v.buf = append(v.buf, c)
					i++
					continue
				}
				if 'A' <= c && c <= 'Z' {
					v.buf = append(v.buf, c+'a'-'A')
					i++
					continue
				}
			}
			r, size = utf8.DecodeRuneInString(s[i:])
			if !newstext.IsWordRune(r) {
				// Keep "don't" and "Kilmarnock’s" together to drop the suffix below.
				if (r == '\'' || r == '’') && i+size < len(s) {
					if n, _ := utf8.DecodeRuneInString(s[i+size:]); unicode.IsLetter(n) {
						v.buf = append(v.buf, '\'')
						i += size
						continue
					}
				}
				break
			}
			v.buf = utf8.AppendRune(v.buf, unicode.ToLower(r))
			i += size
		}
		w := newstext.LightStem(v.buf)
		if len(w) < 2 || newstext.IsStopWord(string(w)) {
			continue
		}
		id, ok := v.ids[string(w)]
		if !ok {
			id = int32(len(v.ids))
			v.ids[string(w)] = id
		}
		out = append(out, id)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// overlap returns the number of terms in both sorted sets.
func overlap(a, b []int32) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			n++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return n
}
