package newstext

import (
	"unicode"
	"unicode/utf8"
)

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
		if IsWordRune(r) {
			hasAlnum = true
		}
	}
	if in && hasAlnum {
		n++
	}
	return n
}

// IsWordRune reports whether r is a letter or a digit.
func IsWordRune(r rune) bool {
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
