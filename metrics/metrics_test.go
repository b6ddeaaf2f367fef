package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/storybot/storybot/answer"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/metrics"
	"github.com/storybot/storybot/summarize"
)

var _ metrics.Breaker = (*llm.Client)(nil)

func TestObserveSummary(t *testing.T) {
	m := metrics.New()
	for _, o := range []summarize.Observation{
		{Summary: summarize.Summary{Meta: generate.Meta{Engine: "m"}}, CacheChecked: true, Duration: time.Second},
		{Summary: summarize.Summary{Meta: generate.Meta{Engine: "m", Cached: true}}, CacheChecked: true, Duration: time.Millisecond},
		{Summary: summarize.Summary{Meta: generate.Meta{Engine: generate.Extractive, Fallback: &generate.Fallback{Code: generate.FallbackTimeout}}}, CacheChecked: true},
		{Summary: summarize.Summary{Meta: generate.Meta{Engine: generate.Extractive, Fallback: &generate.Fallback{Code: generate.FallbackOff}}}},
	} {
		m.ObserveSummary(o)
	}
	want := `
# HELP storybot_summaries_total Summaries written, by source: model, cache or extractive.
# TYPE storybot_summaries_total counter
storybot_summaries_total{source="cache"} 1
storybot_summaries_total{source="extractive"} 2
storybot_summaries_total{source="model"} 1
# HELP storybot_summary_fallbacks_total Summaries that fell back to the extractive one, by reason (the fallback code).
# TYPE storybot_summary_fallbacks_total counter
storybot_summary_fallbacks_total{reason="off"} 1
storybot_summary_fallbacks_total{reason="timeout"} 1
# HELP storybot_summary_cache_lookups_total Summary cache lookups, by result: hit or miss.
# TYPE storybot_summary_cache_lookups_total counter
storybot_summary_cache_lookups_total{result="hit"} 1
storybot_summary_cache_lookups_total{result="miss"} 2
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"storybot_summaries_total", "storybot_summary_fallbacks_total", "storybot_summary_cache_lookups_total"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(m.Registry(), "storybot_summary_duration_seconds"); err != nil || n != 3 {
		t.Errorf("got %d duration series (err %v), want 3 (one per source)", n, err)
	}
}

// fakeModel is a llm.Model answering with rep and err.
type fakeModel struct {
	rep llm.Reply
	err error
}

func (f fakeModel) Model() string { return "fake" }
func (f fakeModel) Complete(context.Context, llm.Request) (llm.Reply, error) {
	return f.rep, f.err
}

func TestModel(t *testing.T) {
	m := metrics.New()
	usage := llm.Reply{Text: "x", Usage: llm.Usage{PromptTokens: 100, CompletionTokens: 20}}
	calls := []fakeModel{
		{rep: usage},
		{rep: usage},
		{err: &llm.Error{Kind: llm.RateLimited}},
		{err: &llm.Error{Kind: llm.BreakerOpen}},
		{err: fmt.Errorf("call: %w", context.DeadlineExceeded)},
		{err: errors.New("boom")},
	}
	for _, f := range calls {
		w := m.Model(f)
		if got := w.Model(); got != "fake" {
			t.Errorf("got model %q, want fake", got)
		}
		rep, err := w.Complete(context.Background(), llm.Request{})
		if rep.Text != f.rep.Text || err != f.err {
			t.Errorf("got %+v, %v, want %+v, %v passed through", rep, err, f.rep, f.err)
		}
	}
	want := `
# HELP storybot_llm_calls_total Model calls, by outcome: ok or the kind of failure (breaker-open: refused without a call).
# TYPE storybot_llm_calls_total counter
storybot_llm_calls_total{outcome="breaker-open"} 1
storybot_llm_calls_total{outcome="error"} 1
storybot_llm_calls_total{outcome="ok"} 2
storybot_llm_calls_total{outcome="rate-limited"} 1
storybot_llm_calls_total{outcome="timeout"} 1
# HELP storybot_llm_tokens_total Tokens the model server reported, by kind: prompt or completion.
# TYPE storybot_llm_tokens_total counter
storybot_llm_tokens_total{kind="completion"} 40
storybot_llm_tokens_total{kind="prompt"} 200
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "storybot_llm_calls_total", "storybot_llm_tokens_total"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(m.Registry(), "storybot_llm_call_duration_seconds"); err != nil || n != 1 {
		t.Errorf("got %d duration series (err %v), want 1", n, err)
	}
}

// breaker is a metrics.Breaker in a given state.
type breaker struct {
	state    llm.State
	failures int
}

func (b *breaker) Breaker() (llm.State, int) { return b.state, b.failures }

func TestWatchBreaker(t *testing.T) {
	m := metrics.New()
	b := &breaker{}
	if err := m.WatchBreaker(b); err != nil {
		t.Fatal(err)
	}
	if err := m.WatchBreaker(b); err == nil {
		t.Error("second WatchBreaker: got nil, want an error")
	}
	tests := []struct {
		state    llm.State
		failures int
		want     string
	}{
		{llm.Closed, 2, "closed"},
		{llm.Open, 5, "open"},
		{llm.HalfOpen, 5, "half-open"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			b.state, b.failures = tt.state, tt.failures
			var want strings.Builder
			fmt.Fprintf(&want, "# HELP storybot_llm_breaker_consecutive_failures Consecutive failed model calls counted by the circuit breaker.\n# TYPE storybot_llm_breaker_consecutive_failures gauge\nstorybot_llm_breaker_consecutive_failures %d\n", tt.failures)
			fmt.Fprint(&want, "# HELP storybot_llm_breaker_state The model's circuit breaker: 1 for the state it is in (closed, open or half-open), 0 for the others.\n# TYPE storybot_llm_breaker_state gauge\n")
			for _, s := range []string{"closed", "half-open", "open"} {
				v := 0
				if s == tt.want {
					v = 1
				}
				fmt.Fprintf(&want, "storybot_llm_breaker_state{state=%q} %d\n", s, v)
			}
			if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want.String()),
				"storybot_llm_breaker_state", "storybot_llm_breaker_consecutive_failures"); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestObserveInteraction(t *testing.T) {
	m := metrics.New()
	m.ObserveInteraction("story", "ok", 2*time.Second)
	m.ObserveInteraction("story", "not-found", time.Second)
	m.ObserveInteraction("autocomplete", "ok", time.Millisecond)
	want := `
# HELP storybot_interactions_total Discord interactions handled, by command and outcome.
# TYPE storybot_interactions_total counter
storybot_interactions_total{command="autocomplete",outcome="ok"} 1
storybot_interactions_total{command="story",outcome="not-found"} 1
storybot_interactions_total{command="story",outcome="ok"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "storybot_interactions_total"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(m.Registry(), "storybot_reply_duration_seconds"); err != nil || n != 1 {
		t.Errorf("got %d reply latency series (err %v), want 1 (story; autocomplete is not timed)", n, err)
	}
}

func TestHandler(t *testing.T) {
	m := metrics.New()
	m.ObserveSummary(summarize.Observation{Summary: summarize.Summary{Meta: generate.Meta{Engine: "m"}}})
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d, want 200", resp.StatusCode)
	}
	for _, want := range []string{`storybot_summaries_total{source="model"} 1`, "go_goroutines", "process_"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the scrape has no %q:\n%.2000s", want, body)
		}
	}
}

func TestObserveAnswer(t *testing.T) {
	m := metrics.New()
	for _, r := range []answer.Reply{
		{Meta: generate.Meta{Engine: "m"}, Answered: true},
		{Meta: generate.Meta{Engine: "m", Cached: true}, Answered: true},
		{Meta: generate.Meta{Engine: generate.Extractive, Fallback: &generate.Fallback{Code: generate.FallbackTimeout}}, Answered: true},
		{Meta: generate.Meta{Engine: generate.Extractive}, Text: answer.NotInStories},
	} {
		m.ObserveAnswer(r, time.Millisecond)
	}
	want := `
# HELP storybot_answers_total /ask answers, by source: model, cache, extractive (the model off or failing), or none (no stored story speaks to the question).
# TYPE storybot_answers_total counter
storybot_answers_total{source="cache"} 1
storybot_answers_total{source="extractive"} 1
storybot_answers_total{source="model"} 1
storybot_answers_total{source="none"} 1
# HELP storybot_answer_fallbacks_total /ask answers that fell back to the extractive one, by reason (the fallback code).
# TYPE storybot_answer_fallbacks_total counter
storybot_answer_fallbacks_total{reason="timeout"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "storybot_answers_total", "storybot_answer_fallbacks_total"); err != nil {
		t.Error(err)
	}
}
