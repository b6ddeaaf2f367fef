package sqlite

import (
	"context"
	"github.com/google/go-cmp/cmp"
	"path/filepath"
	"testing"
	"time"

	"github.com/storybot/storybot/store"
)

// The cache stores a zero Created as the store's now, and survives closing
// and reopening. The rest is in the shared suite (TestStore).
func TestSummaryCacheSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	db.now = func() time.Time { return day }
	if err := db.PutSummary(ctx, "k1", store.Summary{Text: "Homes approved.", Model: "mock", Answered: true, PromptTokens: 120}); err != nil {
		t.Fatal(err)
	}
	want := store.Summary{Text: "Homes approved.", Model: "mock", Answered: true, PromptTokens: 120, Created: day}
	db.Close()
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if got, ok, err := db2.CachedSummary(ctx, "k1"); err != nil || !ok || !cmp.Equal(got, want) {
		t.Errorf("after reopen: got %+v ok=%v err=%v, want %+v", got, ok, err, want)
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
