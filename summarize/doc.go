// Package summarize writes summaries of news stories without a language
// model: Split cuts news text into sentences, and Extract picks whole
// sentences of an article, in article order, within a Style's length budget.
//
// It is storybot's fallback when the model is down, slow or not configured, so
// it is measured against human-written reference summaries (see the evaluate
// package and "storybot eval summarize"). Everything here is deterministic and
// safe for concurrent use; there is no global mutable state.
package summarize
