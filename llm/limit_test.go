package llm_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

// fakeModel is a llm.Model whose answers the test decides.
type fakeModel struct {
	complete func(ctx context.Context, req llm.Request) (llm.Reply, error)
}

func (m fakeModel) Complete(ctx context.Context, req llm.Request) (llm.Reply, error) {
	return m.complete(ctx, req)
}

func (fakeModel) Model() string { return "fake" }

// heldModel answers at once, except for a prompt holding hold: that call
// reports on started and answers once release is closed.
func heldModel(hold string, started chan<- struct{}, release <-chan struct{}, answer string) fakeModel {
	return fakeModel{complete: func(ctx context.Context, req llm.Request) (llm.Reply, error) {
		if strings.Contains(req.User, hold) {
			started <- struct{}{}
			select {
			case <-release:
			case <-ctx.Done():
				return llm.Reply{}, ctx.Err()
			}
		}
		return llm.Reply{Text: answer, Model: "fake"}, nil
	}}
}

func TestLimit(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	l := llm.NewLimit(heldModel("A", started, release, "ok."), 1, time.Millisecond)
	ctx := context.Background()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := l.Complete(ctx, llm.Request{User: "A"}); err != nil {
			t.Errorf("held call: got %v, want no error", err)
		}
	}()
	<-started // A holds the only slot

	_, err := l.Complete(ctx, llm.Request{User: "B"})
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.Busy || !errors.Is(err, llm.ErrBusy) {
		t.Fatalf("call while the slot is held: got %v, want an *llm.Error of kind busy wrapping ErrModelBusy", err)
	}

	close(release)
	wg.Wait()
	if rep, err := l.Complete(ctx, llm.Request{User: "B"}); err != nil || rep.Text != "ok." {
		t.Errorf("after release: got %q, %v, want \"ok.\", no error", rep.Text, err)
	}
}

func TestLimitCanceledWhileWaiting(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	l := llm.NewLimit(heldModel("A", started, release, "ok."), 1, time.Hour)
	go l.Complete(context.Background(), llm.Request{User: "A"})
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := l.Complete(ctx, llm.Request{User: "B"})
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.Canceled {
		t.Errorf("got %v, want an *llm.Error of kind canceled", err)
	}
}

// mapCache is a generate.Cache in memory.
type mapCache struct {
	mu sync.Mutex
	m  map[string]store.Summary
}

func (c *mapCache) CachedSummary(_ context.Context, key string) (store.Summary, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[key]
	return s, ok, nil
}

func (c *mapCache) PutSummary(_ context.Context, key string, s store.Summary) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = s
	return nil
}

// TestLimitInService checks, with the real summarize.Service, that
// only model calls take a slot: while the one slot is busy, a cached
// summary is served and an uncached one falls back to the extractive
// summary, labelled.
func TestLimitInService(t *testing.T) {
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	story := func(title string) summarize.Input {
		return summarize.Input{ID: title, Title: title, Body: "About 9,000 homes lost power overnight as Storm " + title + " hit.\nEngineers worked through the night."}
	}
	answer := "About 9,000 homes lost power overnight."
	started, release := make(chan struct{}), make(chan struct{})
	svc := summarize.NewService(summarize.Config{
		Prompts: set,
		Model:   llm.NewLimit(heldModel("Storm Held", started, release, answer), 1, time.Millisecond),
		Timeout: time.Minute,
		Cache:   &mapCache{m: map[string]store.Summary{}},
		Log:     slog.New(slog.DiscardHandler),
	})
	ctx := context.Background()

	if s, err := svc.Summarize(ctx, story("Cached"), summarize.Standard, summarize.Options{}); err != nil || s.Fallback != nil {
		t.Fatalf("first summary: got %+v, %v, want the model's", s, err)
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		svc.Summarize(ctx, story("Held"), summarize.Standard, summarize.Options{})
	}()
	<-started // the only slot is busy

	s, err := svc.Summarize(ctx, story("Cached"), summarize.Standard, summarize.Options{})
	if err != nil || !s.Cached || s.Fallback != nil {
		t.Errorf("cached story while the slot is busy: got cached=%v fallback=%+v err=%v, want the cached summary", s.Cached, s.Fallback, err)
	}
	s, err = svc.Summarize(ctx, story("New"), summarize.Standard, summarize.Options{})
	if err != nil || s.Fallback == nil || s.Fallback.Code != generate.FallbackBusy || s.Engine != generate.Extractive {
		t.Errorf("new story while the slot is busy: got engine %q fallback %+v err %v, want the extractive summary with fallback %q", s.Engine, s.Fallback, err, generate.FallbackBusy)
	}
	close(release)
	wg.Wait()
}
