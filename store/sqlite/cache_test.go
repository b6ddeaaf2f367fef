package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/storybot/storybot/store"
)

func TestSummaryCache(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	db.now = func() time.Time { return day }

	if _, ok, err := db.CachedSummary(ctx, "k1"); ok || err != nil {
		t.Fatalf("empty cache: got ok=%v err=%v, want a miss", ok, err)
	}
	want := store.Summary{Text: "Homes approved.", Model: "mock", PromptTokens: 120, CompletionTokens: 4}
	if err := db.PutSummary(ctx, "k1", want); err != nil {
		t.Fatal(err)
	}
	want.Created = day // a zero Created is stored as now
	got, ok, err := db.CachedSummary(ctx, "k1")
	if err != nil || !ok {
		t.Fatalf("got ok=%v err=%v, want a hit", ok, err)
	}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if _, ok, _ := db.CachedSummary(ctx, "k2"); ok {
		t.Errorf("k2: got a hit, want a miss")
	}

	// Put replaces.
	repl := store.Summary{Text: "Homes approved after a debate.", Model: "mock-2", Created: day.Add(time.Hour)}
	if err := db.PutSummary(ctx, "k1", repl); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := db.CachedSummary(ctx, "k1"); got != repl {
		t.Errorf("after replace: got %+v, want %+v", got, repl)
	}

	if err := db.PutSummary(ctx, "", repl); err == nil {
		t.Errorf("empty key: got no error, want one")
	}

	// The cache survives closing and reopening.
	db.Close()
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if got, ok, err := db2.CachedSummary(ctx, "k1"); err != nil || !ok || got != repl {
		t.Errorf("after reopen: got %+v ok=%v err=%v, want %+v", got, ok, err, repl)
	}
}

func TestSummaryCacheMigratesOldDatabase(t *testing.T) {
	// A database at schema version 1 (stories only) gains the table on open.
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.ExecContext(ctx, "DROP TABLE summaries; PRAGMA user_version = 1"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PutSummary(ctx, "k", store.Summary{Text: "x", Model: "m"}); err != nil {
		t.Errorf("after migration: %v", err)
	}
}

func TestSummaryCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Go(func() {
			key := fmt.Sprintf("k%d", i%5)
			if err := db.PutSummary(ctx, key, store.Summary{Text: "t", Model: "m"}); err != nil {
				errs <- err
			}
			if _, _, err := db.CachedSummary(ctx, key); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkCachedSummaryHit(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.PutSummary(ctx, "key", store.Summary{Text: "A summary of a story in a few words.", Model: "mock"}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok, err := db.CachedSummary(ctx, "key"); !ok || err != nil {
			b.Fatalf("got ok=%v err=%v", ok, err)
		}
	}
}
