package postgres

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/internal/pgtest"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/summarize"
)

var _ generate.KeyLocker = (*DB)(nil)

// waiters returns how many sessions wait for key's lock.
func waiters(ctx context.Context, conn *pgx.Conn, key string) (int, error) {
	id := uint64(keyLockID(key))
	var n int
	err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
		AND objsubid = 1 AND classid::bigint = $1 AND objid::bigint = $2`, int64(id>>32), int64(id&0xffffffff)).Scan(&n)
	return n, err
}

// waitForWaiter returns once a session waits for key's lock, or fails the
// test when none does within a minute.
func waitForWaiter(t *testing.T, conn *pgx.Conn, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		n, err := waiters(ctx, conn, key)
		if err != nil {
			t.Errorf("no session waited for the lock on %q: %v", key, err)
			return
		}
		if n > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLockKey(t *testing.T) {
	url := pgtest.URL(t)
	a, b := openURL(t, url), openURL(t, url)
	ctx := context.Background()

	unlock, err := a.LockKey(ctx, "k1")
	if err != nil {
		t.Fatal(err)
	}
	// Another replica waits until its context ends, holding nothing.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := b.LockKey(short, "k1"); err == nil || short.Err() == nil {
		t.Fatalf("a held key: got %v with the context %v, want an error once the context ended", err, short.Err())
	}
	// Another key is free.
	unlock2, err := b.LockKey(ctx, "k2")
	if err != nil {
		t.Fatal(err)
	}
	unlock2()

	// A waiting replica gets the key once it is released.
	got := make(chan error, 1)
	go func() {
		u, err := b.LockKey(ctx, "k1")
		if err == nil {
			u()
		}
		got <- err
	}()
	waitForWaiter(t, pgtest.Conn(t, url), "k1")
	unlock()
	unlock() // a second call does nothing
	if err := <-got; err != nil {
		t.Fatalf("after release: %v", err)
	}
	// The abandoned wait left no lock behind.
	u, err := a.LockKey(ctx, "k1")
	if err != nil {
		t.Fatal(err)
	}
	u()
}

// A replica that dies releases its locks with its connections.
func TestLockKeyReleasedWhenReplicaDies(t *testing.T) {
	url := pgtest.URL(t)
	a, b := openURL(t, url), openURL(t, url)
	ctx := context.Background()
	unlockA, err := a.LockKey(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	defer unlockA() // after its death: a no-op, but keeps the connection from the garbage collector until then
	conn := pgtest.Conn(t, url)
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		waitForWaiter(t, conn, "k")
		id := uint64(keyLockID("k"))
		if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
			AND objsubid = 1 AND classid::bigint = $1 AND objid::bigint = $2`, int64(id>>32), int64(id&0xffffffff)); err != nil {
			t.Error(err)
		}
	}()
	unlock, err := b.LockKey(ctx, "k")
	<-killed
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}

// countingModel writes the first sentence of the story as its summary and
// counts its calls. The first call waits for release.
type countingModel struct {
	calls   atomic.Int32
	release chan struct{}
}

func (m *countingModel) Model() string { return "counting" }

func (m *countingModel) Complete(ctx context.Context, req llm.Request) (llm.Reply, error) {
	if m.calls.Add(1) == 1 {
		select {
		case <-m.release:
		case <-ctx.Done():
			return llm.Reply{}, ctx.Err()
		}
	}
	return llm.Reply{Model: "counting", Text: "The city council approved 300 new homes on Monday.", FinishReason: "stop"}, nil
}

// Two replicas sharing one database make one model call for 20 identical
// requests split between them: singleflight within each, the key lock and
// the shared cache between them.
func TestSummaryOneModelCallAcrossReplicas(t *testing.T) {
	url := pgtest.URL(t)
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	in := summarize.Input{
		ID:    "abc1234",
		Title: "Council approves 300 homes",
		Body:  "The city council approved 300 new homes on Monday.\nResidents objected to the height of the towers.",
	}
	m := &countingModel{release: make(chan struct{})}
	var services []*summarize.Service
	for range 2 {
		services = append(services, summarize.NewService(summarize.Config{
			Prompts: set, Model: m, Cache: openURL(t, url), Timeout: time.Minute, Log: slog.New(slog.DiscardHandler),
		}))
	}

	// The first model call goes on until the other replica waits for the
	// key's lock: the lock, not the cache alone, is what is tested.
	p, err := set.Summary(in.Title, in.Body, summarize.Brief.String())
	if err != nil {
		t.Fatal(err)
	}
	key := summarize.CacheKey(article.Article{Title: in.Title, Body: in.Body}.ContentHash(), summarize.Brief, p.Hash, m.Model())
	conn := pgtest.Conn(t, url)
	go func() {
		defer close(m.release)
		waitForWaiter(t, conn, key)
	}()

	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make([]summarize.Summary, 20)
	for i := range results {
		wg.Go(func() {
			<-start
			s, err := services[i%2].Summarize(context.Background(), in, summarize.Brief, summarize.Options{})
			if err != nil {
				t.Error(err)
			}
			results[i] = s
		})
	}
	close(start)
	wg.Wait()
	if got := m.calls.Load(); got != 1 {
		t.Errorf("got %d model calls, want exactly 1", got)
	}
	cached := 0
	for i, s := range results {
		if s.Fallback != nil || s.Text != "The city council approved 300 new homes on Monday." {
			t.Errorf("request %d: got %+v, want the model's summary", i, s)
		}
		if s.Cached {
			cached++
		}
	}
	if cached == 0 {
		t.Errorf("no request was answered from the cache, want the other replica's")
	}
}

// A replica that holds a key's lock past the others' deadline cannot keep
// them waiting: they fall back as on a model timeout, without a model call.
func TestSummaryLockWaitIsBounded(t *testing.T) {
	url := pgtest.URL(t)
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	in := summarize.Input{ID: "abc1234", Title: "Homes", Body: "The council approved 300 homes on Monday."}
	p, err := set.Summary(in.Title, in.Body, summarize.Brief.String())
	if err != nil {
		t.Fatal(err)
	}
	m := &countingModel{release: make(chan struct{})}
	close(m.release)
	key := summarize.CacheKey(article.Article{Title: in.Title, Body: in.Body}.ContentHash(), summarize.Brief, p.Hash, m.Model())
	stuck := openURL(t, url)
	unlock, err := stuck.LockKey(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	svc := summarize.NewService(summarize.Config{
		Prompts: set, Model: m, Cache: openURL(t, url), Timeout: 200 * time.Millisecond, Grace: 100 * time.Millisecond,
		Log: slog.New(slog.DiscardHandler),
	})
	s, err := svc.Summarize(context.Background(), in, summarize.Brief, summarize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Fallback == nil || s.Fallback.Code != generate.FallbackTimeout || s.Engine != generate.Extractive {
		t.Errorf("got %+v, want the extractive summary with a timeout fallback", s)
	}
	if got := m.calls.Load(); got != 0 {
		t.Errorf("got %d model calls, want none while another replica holds the key", got)
	}
}
