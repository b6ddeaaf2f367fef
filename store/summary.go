package store

import "time"

// Summary is a model-written summary as a summary cache keeps it. The cache
// key (built by package summarize from the story's content hash, the style,
// the prompt's hash and the model) says what it summarizes; Summary holds
// only the result.
type Summary struct {
	Text  string // the summary, already checked and cleaned
	Model string // the model that wrote it, as its server names it
	// PromptTokens and CompletionTokens are what writing it cost, as the
	// server reported them (zero when it reported none).
	PromptTokens     int
	CompletionTokens int
	Created          time.Time // when it was stored
}
