package store

import (
	"strconv"
	"strings"
	"time"
)

// Summary is a model-written record as the cache keeps it: a summary or an
// answer. The cache key (built by the product from what it was made of: the
// story's content hash or the passages, the prompt's hash, the model) says
// what it is; Summary holds only the result.
type Summary struct {
	Text  string // the text, already checked and cleaned
	Model string // the model that wrote it, as its server names it
	// Answered is false for an answer saying the stories don't answer the
	// question; true for every summary.
	Answered bool
	// Cited are the citation numbers an answer uses, ascending; nil for a
	// summary.
	Cited []int
	// PromptTokens and CompletionTokens are what writing it cost, as the
	// server reported them (zero when it reported none).
	PromptTokens     int
	CompletionTokens int
	Created          time.Time // when it was stored
}

// JoinCited writes citation numbers as the cache stores them: "1,3".
func JoinCited(cited []int) string {
	parts := make([]string, len(cited))
	for i, n := range cited {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

// SplitCited reads what JoinCited wrote; anything that is not a number is
// skipped.
func SplitCited(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}
