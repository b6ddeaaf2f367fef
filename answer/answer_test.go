package answer

import (
	"context"
	"strings"
	"testing"

	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/newstext"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/retrieve"
	"github.com/storybot/storybot/store"
)

func result() retrieve.Result {
	a := store.Story{ID: "a"}
	a.Title, a.Body = "Storm cuts power to 9,000 homes", "About 9,000 homes lost power overnight as Storm Imogen hit. Engineers worked through the night."
	b := store.Story{ID: "b"}
	b.Title, b.Body = "Library reopens after fire", "The library reopened two years after a fire."
	return retrieve.Result{
		Terms:    []retrieve.Term{{Word: "power", Stem: "power", Weight: 1}},
		Passages: []retrieve.Passage{{Source: 1, StoryID: "a", Sentences: newstext.Split(a.Body)}, {Source: 2, StoryID: "b", Sentences: newstext.Split(b.Body)}},
		Sources:  []store.Story{a, b},
		Coverage: 1,
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, reply, wantText string
		wantAnswered          bool
		wantCited             []int
		wantFallback          string
	}{
		{name: "cited", reply: "About 9,000 homes lost power [1].", wantText: "About 9,000 homes lost power [1].", wantAnswered: true, wantCited: []int{1}},
		{name: "several", reply: "Power went [2, 1]. The library reopened [2].", wantText: "Power went [2][1]. The library reopened [2].", wantAnswered: true, wantCited: []int{1, 2}},
		{name: "citation of nothing dropped", reply: "Power went out [1][7].", wantText: "Power went out [1].", wantAnswered: true, wantCited: []int{1}},
		{name: "thinking removed", reply: "<think>hmm</think> Power went out [1].", wantText: "Power went out [1].", wantAnswered: true, wantCited: []int{1}},
		{name: "refusal", reply: "[none] Las historias guardadas no lo dicen.", wantText: NotInStories},
		{name: "refusal carrying a message", reply: "[none] Free Nitro at https://evil.example now!", wantText: NotInStories},
		{name: "refusal in bold", reply: "**[none]** Nothing.", wantText: NotInStories},
		{name: "another script's full stop", reply: "Power went out [1]।", wantText: "Power went out [1]।", wantAnswered: true, wantCited: []int{1}},
		{name: "bare refusal", reply: "[NONE]", wantText: NotInStories},
		{name: "uncited", reply: "Power went out overnight.", wantFallback: FallbackUncited},
		{name: "only bad citations", reply: "Power went out [9].", wantFallback: FallbackUncited},
		{name: "empty", reply: "<think>…</think>", wantFallback: generate.FallbackEmpty},
		{name: "cut off", reply: "Power went out [1] because the", wantFallback: generate.FallbackTruncated},
		{name: "too long", reply: strings.Repeat("Power went out again [1]. ", 40), wantFallback: generate.FallbackTooLong},
		{name: "invented number", reply: "About 12,000 homes lost power [1].", wantFallback: generate.FallbackUnfaithful},
		{name: "invented name", reply: "Mayor Quartermaine said power went out [1].", wantFallback: generate.FallbackUnfaithful},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := prompts.Load("")
			if err != nil {
				t.Fatal(err)
			}
			text, answered, cited, fb, _, err := NewService(Config{Prompts: set}).Check("Did the power go out?", result(), tt.reply)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantFallback != "" {
				if fb == nil || fb.Code != tt.wantFallback {
					t.Fatalf("got fallback %+v (text %q), want %s", fb, text, tt.wantFallback)
				}
				return
			}
			if fb != nil {
				t.Fatalf("got fallback %+v, want none", fb)
			}
			if text != tt.wantText || answered != tt.wantAnswered || !equal(cited, tt.wantCited) {
				t.Errorf("got %q answered %v cited %v, want %q %v %v", text, answered, cited, tt.wantText, tt.wantAnswered, tt.wantCited)
			}
		})
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestExtract(t *testing.T) {
	r := result()
	qs := Extract("How many homes lost power?", r)
	if len(qs) == 0 || qs[0].Text != "About 9,000 homes lost power overnight as Storm Imogen hit." || qs[0].Source != 1 {
		t.Fatalf("got %+v, want the sentence about power from source 1", qs)
	}
	r.Coverage = MinCoverage / 2
	if qs := Extract("How many homes lost power?", r); qs != nil {
		t.Errorf("got %+v for passages that don't cover the question, want none", qs)
	}
}

func TestNamePhrasesAreWhole(t *testing.T) {
	// Covered word by word, but not as the name the question asks about.
	terms := []retrieve.Term{{Word: "star", Stem: "star", Weight: 1}, {Word: "wars", Stem: "war", Weight: 1}, {Word: "film", Stem: "film", Weight: 1}}
	text := "The film shows the wars of a star."
	if c := retrieve.Coverage(text, terms, nil); c != 1 {
		t.Errorf("got coverage %v without names, want 1", c)
	}
	if c := retrieve.Coverage(text, terms, []string{"star wars"}); c > 0.34 {
		t.Errorf("got coverage %v, want only film's share", c)
	}
	if c := retrieve.Coverage("The Star Wars film.", terms, []string{"star wars"}); c != 1 {
		t.Errorf("got coverage %v with the whole name, want 1", c)
	}
}

// The fact after the sentence naming the subject is quoted, though it
// shares no word with the question.
func TestExtractFollowingFact(t *testing.T) {
	s := store.Story{ID: "f"}
	s.Title = "Comic dies"
	s.Body = "The weather was mild in town. Stan Freberg, the comic, has died. He was 88. Tributes came from many friends in the trade."
	r := retrieve.Result{
		Terms:    []retrieve.Term{{Word: "freberg", Stem: "freberg", Weight: 3}, {Word: "died", Stem: "die", Weight: 1}},
		Passages: []retrieve.Passage{{Source: 1, StoryID: "f", Sentences: newstext.Split(s.Body)[1:3], First: 1}},
		Sources:  []store.Story{s},
		Coverage: 1,
	}
	text := QuotesText(Extract("How old was Freberg when he died?", r))
	if !strings.Contains(text, "He was 88.") {
		t.Errorf("got %q, want the sentence with his age", text)
	}
	if strings.Contains(text, "weather") {
		t.Errorf("got %q, want nothing of the sentence before the subject's", text)
	}
}

// A model's refusal, once cached, comes back as a refusal, not as an empty
// answer.
func TestCachedRefusal(t *testing.T) {
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	m := &fixedModel{reply: "[none] Nothing here."}
	c := memCache{}
	s := NewService(Config{Prompts: set, Model: m, Cache: c})
	for i := range 2 {
		rep, err := s.Answer(context.Background(), "How many homes lost power?", result())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Text != NotInStories || rep.Answered || rep.Fallback != nil || rep.Cached != (i == 1) {
			t.Errorf("ask %d: got %+v, want the refusal (cached the second time)", i+1, rep)
		}
	}
	if m.calls != 1 {
		t.Errorf("got %d model calls, want 1", m.calls)
	}
}

type fixedModel struct {
	reply string
	calls int
}

func (m *fixedModel) Complete(context.Context, llm.Request) (llm.Reply, error) {
	m.calls++
	return llm.Reply{Text: m.reply, Model: "fixed"}, nil
}

func (m *fixedModel) Model() string { return "fixed" }

type memCache map[string]store.Summary

func (c memCache) CachedSummary(_ context.Context, key string) (store.Summary, bool, error) {
	v, ok := c[key]
	return v, ok, nil
}

func (c memCache) PutSummary(_ context.Context, key string, v store.Summary) error {
	c[key] = v
	return nil
}
