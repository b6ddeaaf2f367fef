package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/storetest"
)

// TestStore runs the tests every backend shares (store/storetest) on a
// SQLite file.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		db, _ := openTest(t)
		return db
	})
}

func openTest(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "test.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func art(title, body string, published time.Time) article.Article {
	return article.Article{Title: title, Body: body, Published: published, Source: "test"}
}

var day = time.Date(2020, 8, 18, 15, 59, 0, 0, time.UTC)

func mustPut(t *testing.T, db *DB, as ...article.Article) []store.PutResult {
	t.Helper()
	res, err := db.Put(context.Background(), as)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	id := mustPut(t, db, art("Persisted", "Body.", day))[0].ID
	db.Close()
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if _, err := db2.Get(ctx, id); err != nil {
		t.Error(err)
	}
	if err := db2.Check(ctx); err != nil {
		t.Error(err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	if _, err := db.db.ExecContext(ctx, "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "upgrade storybot") {
		t.Errorf("got %v, want an error asking to upgrade", err)
	}
}

// A query of common English words alone is searched as it is, any word
// matching (PostgreSQL's English index leaves such words out instead).
func TestSearchStopWordsOnly(t *testing.T) {
	db, _ := openTest(t)
	mustPut(t, db,
		art("Council approves new bus lanes", "The council voted for bus lanes on the high street.", day),
		art("Officer shot in Brixton forgives gunman", "The shooting in Brixton happened in 1994.", day),
		art("Market day", "Brixton market was busy. A shooting star was seen.", day),
	)
	hits, err := db.Search(context.Background(), "the of and", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 {
		t.Errorf("got %d hits, want 2", len(hits))
	}
}

// Several processes opening a new database at once (here, several DBs in
// one process, each with its own connections) each apply every migration
// once: none fails with "table already exists".
func TestConcurrentOpenNewDatabase(t *testing.T) {
	ctx := context.Background()
	for round := range 10 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("new-%d.db", round))
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := Open(ctx, path)
				if err == nil {
					_, err = db.Count(ctx)
					db.Close()
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}
