// Package summarize writes summaries of news stories.
//
// Service is the whole chain storybot uses: a summary cache, then a language
// model under a deadline, with its answer cleaned and checked (Check,
// Unsupported), then, whenever the model is off, failing, slow or not
// trusted, the extractive summarizer, with a Fallback saying why.
//
// The extractive summarizer needs no model: newstext.Split cuts news text
// into sentences, and Extract picks whole sentences of an article, in article
// order, within a Style's length budget. It is measured against
// human-written reference summaries (see the evaluate package and "storybot
// eval summarize"). Everything here is safe for concurrent use; there is no
// global mutable state.
package summarize
