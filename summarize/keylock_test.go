package summarize_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

// sharedCache is a cache with key locks, shared by Services as a database
// is shared by replicas. waiting gets a value whenever a LockKey call finds
// its key held and waits.
type sharedCache struct {
	mu      sync.Mutex
	entries map[string]store.Summary
	locks   map[string]chan struct{} // a token in the channel: held
	waiting chan struct{}
	lockErr error // when set, LockKey fails with it
	stuck   bool  // when set, another process holds every key and never lets go
}

func newSharedCache() *sharedCache {
	return &sharedCache{entries: map[string]store.Summary{}, locks: map[string]chan struct{}{}, waiting: make(chan struct{}, 100)}
}

func (c *sharedCache) CachedSummary(_ context.Context, key string) (store.Summary, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.entries[key]
	return s, ok, nil
}

func (c *sharedCache) PutSummary(_ context.Context, key string, s store.Summary) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = s
	return nil
}

func (c *sharedCache) LockKey(ctx context.Context, key string) (func(), error) {
	if c.lockErr != nil {
		return nil, c.lockErr
	}
	if c.stuck {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	c.mu.Lock()
	l := c.locks[key]
	if l == nil {
		l = make(chan struct{}, 1)
		c.locks[key] = l
	}
	c.mu.Unlock()
	select {
	case l <- struct{}{}:
	default:
		c.waiting <- struct{}{}
		select {
		case l <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	var once sync.Once
	return func() { once.Do(func() { <-l }) }, nil
}

var _ generate.KeyLocker = (*sharedCache)(nil)

// gatedModel counts its calls and answers once gate is closed.
type gatedModel struct {
	calls atomic.Int32
	gate  chan struct{}
}

func (m *gatedModel) Model() string { return "gated" }

func (m *gatedModel) Complete(ctx context.Context, _ llm.Request) (llm.Reply, error) {
	m.calls.Add(1)
	select {
	case <-m.gate:
	case <-ctx.Done():
		return llm.Reply{}, ctx.Err()
	}
	return llm.Reply{Model: "gated", Text: "The city council approved 300 new homes on Monday.", FinishReason: "stop"}, nil
}

func newLockedService(t *testing.T, m llm.Model, c generate.Cache, timeout time.Duration) *summarize.Service {
	t.Helper()
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return summarize.NewService(summarize.Config{Prompts: set, Model: m, Cache: c, Timeout: timeout, Log: slog.New(slog.DiscardHandler)})
}

// Two Services sharing a cache with key locks ("replicas") make one model
// call for identical requests: the one that waited for the lock finds the
// summary in the cache.
func TestKeyLockerOneCallAcrossServices(t *testing.T) {
	cache := newSharedCache()
	m := &gatedModel{gate: make(chan struct{})}
	services := []*summarize.Service{newLockedService(t, m, cache, time.Minute), newLockedService(t, m, cache, time.Minute)}
	go func() {
		<-cache.waiting // the other Service waits for the lock held by the first
		close(m.gate)
	}()
	var wg sync.WaitGroup
	results := make([]summarize.Summary, 20)
	for i := range results {
		wg.Go(func() {
			s, err := services[i%2].Summarize(context.Background(), story, summarize.Brief, summarize.Options{})
			if err != nil {
				t.Error(err)
			}
			results[i] = s
		})
	}
	wg.Wait()
	if got := m.calls.Load(); got != 1 {
		t.Errorf("got %d model calls, want exactly 1", got)
	}
	for i, s := range results {
		if s.Fallback != nil || s.Engine != "gated" {
			t.Errorf("request %d: got %+v, want the model's summary", i, s)
		}
	}
}

// A lock held past the request's deadline gives the timeout fallback, with
// no model call.
func TestKeyLockerWaitIsBounded(t *testing.T) {
	cache := newSharedCache()
	cache.stuck = true
	m := &gatedModel{gate: make(chan struct{})}
	close(m.gate)
	s, err := newLockedService(t, m, cache, 50*time.Millisecond).Summarize(context.Background(), story, summarize.Brief, summarize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Fallback == nil || s.Fallback.Code != generate.FallbackTimeout || s.Engine != generate.Extractive {
		t.Errorf("got %+v, want the extractive summary with a timeout fallback", s)
	}
	if got := m.calls.Load(); got != 0 {
		t.Errorf("got %d model calls, want none while another process holds the key", got)
	}
}

// A lock that fails for another reason than the deadline does not stop the
// summary: the model is asked without it.
func TestKeyLockerFailureStillAsksTheModel(t *testing.T) {
	cache := newSharedCache()
	cache.lockErr = errors.New("database gone")
	m := &gatedModel{gate: make(chan struct{})}
	close(m.gate)
	s, err := newLockedService(t, m, cache, time.Minute).Summarize(context.Background(), story, summarize.Brief, summarize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Fallback != nil || m.calls.Load() != 1 {
		t.Errorf("got %+v after %d model calls, want the model's summary", s, m.calls.Load())
	}
}
