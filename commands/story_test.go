package commands_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/llm/mock"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/sqlite"
	"github.com/storybot/storybot/summarize"
)

var (
	_ commands.Stories    = (*sqlite.DB)(nil)
	_ commands.Summarizer = (*summarize.Service)(nil)
)

var day = time.Date(2026, 11, 2, 18, 42, 0, 0, time.UTC)

var stories = []article.Article{
	{Title: "Council approves 240 riverside homes", Body: "Hollinsford council approved 240 homes by the River Wend on Monday.\nResidents warned that the land floods.", Published: day, URL: "https://example.com/homes"},
	{Title: "Storm cuts power to 9,000 homes", Body: "About 9,000 homes lost power overnight as Storm Imogen hit.\nEngineers worked through the night.", Published: day.Add(72 * time.Hour)},
	{Title: "Library reopens after fire", Body: "The library reopened two years after a fire.\nVisitors queued from early morning.", Published: day.Add(24 * time.Hour)},
}

// deps returns a real store holding stories and a Service on the mock,
// which model names; calls counts the model calls.
func deps(t *testing.T, model string) (commands.Deps, *atomic.Int32, []store.PutResult) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	res, err := db.Put(ctx, stories)
	if err != nil {
		t.Fatal(err)
	}
	calls := new(atomic.Int32)
	h := mock.NewServer(mock.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	log := slog.New(slog.DiscardHandler)
	c, err := llm.New(llm.Config{BaseURL: srv.URL + "/v1", Model: model, Timeout: 500 * time.Millisecond}, llm.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	svc := summarize.NewService(summarize.Config{Prompts: set, Model: c, Timeout: 500 * time.Millisecond, Cache: db, Log: log})
	return commands.Deps{Stories: db, Summarizer: svc}, calls, res
}

func TestStoryPicks(t *testing.T) {
	d, _, res := deps(t, mock.Model)
	ctx := context.Background()
	tests := []struct {
		query, wantID, picked string
	}{
		{"", res[1].ID, commands.PickedNewest},
		{"  ", res[1].ID, commands.PickedNewest},
		{res[2].ID, res[2].ID, commands.PickedID},
		{strings.ToUpper(res[0].ID), res[0].ID, commands.PickedID},
		{"riverside homes", res[0].ID, commands.PickedSearch},
		{"library", res[2].ID, commands.PickedSearch},
	}
	for _, tt := range tests {
		r, err := commands.Story(ctx, d, tt.query, summarize.Brief, false)
		if err != nil {
			t.Errorf("%q: %v", tt.query, err)
			continue
		}
		if r.Story.ID != tt.wantID || r.Picked != tt.picked {
			t.Errorf("%q: got %s (%s), want %s (%s)", tt.query, r.Story.ID, r.Picked, tt.wantID, tt.picked)
		}
		if r.Summary.Engine != mock.Model || r.Summary.Text == "" || r.Summary.Style != summarize.Brief {
			t.Errorf("%q: got summary %+v, want one by the mock", tt.query, r.Summary)
		}
	}

	if _, err := commands.Story(ctx, d, "zeppelin", summarize.Brief, false); !errors.Is(err, commands.ErrNoMatch) || !strings.Contains(err.Error(), `"zeppelin"`) {
		t.Errorf("no match: got %v, want ErrNoMatch naming the query", err)
	}
}

func TestStoryEmptyStore(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d := commands.Deps{Stories: db, Summarizer: summarize.NewService(summarize.Config{Log: slog.New(slog.DiscardHandler)})}
	if _, err := commands.Story(context.Background(), d, "", summarize.Brief, false); !errors.Is(err, commands.ErrNoStories) {
		t.Errorf("got %v, want ErrNoStories", err)
	}
}

func TestStoryCacheAndFallback(t *testing.T) {
	ctx := context.Background()
	d, calls, res := deps(t, mock.Model)
	first, err := commands.Story(ctx, d, res[0].ID, summarize.Standard, false)
	if err != nil {
		t.Fatal(err)
	}
	second, err := commands.Story(ctx, d, res[0].ID, summarize.Standard, false)
	if err != nil {
		t.Fatal(err)
	}
	if first.Summary.Cached || !second.Summary.Cached || second.Summary.Text != first.Summary.Text || calls.Load() != 1 {
		t.Errorf("got cached %v then %v with %d calls, want a model call then a cache hit", first.Summary.Cached, second.Summary.Cached, calls.Load())
	}
	if got, want := second.EngineNote(), "Summarized by mock (cached)"; got != want {
		t.Errorf("got note %q, want %q", got, want)
	}

	d, _, res = deps(t, mock.FaultNoModel)
	r, err := commands.Story(ctx, d, res[0].ID, summarize.Standard, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Engine != generate.Extractive || !strings.HasPrefix(r.EngineNote(), "Offline summary (extractive): configuration problem:") || !strings.Contains(r.EngineNote(), "LLM_MODEL") {
		t.Errorf("got %+v, note %q; want the extractive summary naming LLM_MODEL", r.Summary, r.EngineNote())
	}
}

func TestEngineNote(t *testing.T) {
	tests := []struct {
		sum  summarize.Summary
		want string
	}{
		{summarize.Summary{Meta: generate.Meta{Engine: "gpt-4o-mini"}}, "Summarized by gpt-4o-mini"},
		{summarize.Summary{Meta: generate.Meta{Engine: "gpt-4o-mini", Cached: true}}, "Summarized by gpt-4o-mini (cached)"},
		{summarize.Summary{Meta: generate.Meta{Engine: generate.Extractive, Fallback: &generate.Fallback{Code: "timeout", Reason: "the model did not answer in time"}}},
			"Offline summary (extractive): the model did not answer in time"},
		{summarize.Summary{Meta: generate.Meta{Engine: generate.Extractive, Fallback: &generate.Fallback{Code: "config", Reason: "the model server rejected the API key (check LLM_API_KEY)", Setting: "LLM_API_KEY"}}},
			"Offline summary (extractive): configuration problem: the model server rejected the API key (check LLM_API_KEY)"},
	}
	for _, tt := range tests {
		if got := (commands.StoryReply{Summary: tt.sum}).EngineNote(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
