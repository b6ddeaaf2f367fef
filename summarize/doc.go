// Package summarize writes summaries of news stories.
//
// Service is the summary product of the generation kernel (package
// generate): it gives the kernel the summary prompt, the summary's own rules
// for a model's reply (its length, how it ends, no preamble) and the
// extractive summary; the kernel does the cache, the model call under a
// deadline, the one check (package check) and the fallback, with a
// Fallback saying why.
//
// The extractive summarizer needs no model: newstext.Split cuts news text
// into sentences, and Extract picks whole sentences of an article, in article
// order, within a Style's length budget. It is measured against
// human-written reference summaries (see the evaluate package and "storybot
// eval summarize"). Everything here is safe for concurrent use; there is no
// global mutable state.
package summarize
