package summarize_test

import (
	"testing"

	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/summarize"
)

// Options.Offline keeps the model and the cache out: the extractive
// summary, with the given reason, even when a cached summary exists.
func TestSummarizeOffline(t *testing.T) {
	e := newEnv(t, setup{})
	e.summarize(t, summarize.Options{}) // now cached
	fb := &generate.Fallback{Code: generate.FallbackBudget, Reason: "your daily model budget is used up"}
	s := e.summarize(t, summarize.Options{Offline: fb})
	if s.Engine != generate.Extractive || s.Cached || s.Fallback != fb || s.Text != extractive(story, summarize.Brief) || s.Usage != (llm.Usage{}) {
		t.Errorf("got %+v, want the extractive summary with the budget fallback and no usage", s)
	}
	if got := e.mock.calls.Load(); got != 1 {
		t.Errorf("got %d model calls, want only the first", got)
	}
}
