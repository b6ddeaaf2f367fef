package check

import "strings"

// Clean turns a model's raw reply into the text to check: invalid UTF-8
// replaced, reasoning removed (StripThink), surrounding space trimmed.
// White space inside is the product's to handle.
func Clean(reply string) string {
	return strings.TrimSpace(StripThink(strings.ToValidUTF8(reply, "\uFFFD")))
}
