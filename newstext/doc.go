// Package newstext splits news text into sentences and words, the way every
// part of storybot counts and cuts them: Split cuts text into sentences (a
// line break, or a full stop that is not an abbreviation's, or a caption run
// into the text), Words counts words as every length budget does, and
// IsStopWord and LightStem reduce words to the content terms that sentences
// are compared by.
//
// It imports nothing from storybot, so summaries, answers, retrieval and the
// bot can all share it. Everything here is safe for concurrent use; there is
// no global mutable state.
package newstext
