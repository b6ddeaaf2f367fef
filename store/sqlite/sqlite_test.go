package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/store"
)

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

func TestPutGetAndOutcomes(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	a := art("Officer forgives man who shot him", "An officer from Tonbridge forgave the man.\nThey met again.", day)
	a.Author, a.Updated = "Katie Heslop", day.Add(88*time.Minute)

	res := mustPut(t, db, a)
	if res[0].Outcome != store.Added || len(res[0].ID) != store.IDLen {
		t.Fatalf("first put: got %+v", res[0])
	}
	id := res[0].ID

	got, err := db.Get(ctx, " "+strings.ToUpper(id)+" ")
	if err != nil {
		t.Fatal(err)
	}
	if got.Article != a || got.ID != id {
		t.Errorf("get: got %+v\nwant %+v", got.Article, a)
	}

	if res := mustPut(t, db, a); res[0] != (store.PutResult{ID: id, Outcome: store.Unchanged}) {
		t.Errorf("same again: got %+v, want unchanged %s", res[0], id)
	}

	// Same title and time, new body: an update in place that keeps the ID.
	b := a
	b.Body = "An officer from Tonbridge forgave the man who shot him in Brixton."
	if res := mustPut(t, db, b); res[0] != (store.PutResult{ID: id, Outcome: store.Updated}) {
		t.Errorf("changed: got %+v, want updated %s", res[0], id)
	}
	if got, _ := db.Get(ctx, id); got.Body != b.Body {
		t.Errorf("after update: body %q", got.Body)
	}
	if hits, _ := db.Search(ctx, "brixton", 5); len(hits) != 1 || hits[0].ID != id {
		t.Errorf("search after update: got %v", hits)
	}
	if hits, _ := db.Search(ctx, "met again", 5); len(hits) != 0 {
		t.Errorf("old text still indexed: %v", hits)
	}

	// The same text under another identity (another time, no URL) is a duplicate.
	c := b
	c.Published = day.Add(time.Hour)
	c.Updated = time.Time{}
	if res := mustPut(t, db, c); res[0] != (store.PutResult{ID: id, Outcome: store.Duplicate}) {
		t.Errorf("duplicate: got %+v", res[0])
	}
	if n, _ := db.Count(ctx); n != 1 {
		t.Errorf("count: got %d, want 1", n)
	}

	if _, err := db.Get(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("get missing: got %v, want ErrNotFound", err)
	}
}

func TestPutByURL(t *testing.T) {
	db, _ := openTest(t)
	a := art("First title", "Body one.", day)
	a.URL = "https://example.com/story"
	id := mustPut(t, db, a)[0].ID
	// A new title and time at the same URL is the same story, updated.
	b := art("Corrected title", "Body one, corrected.", day.Add(time.Hour))
	b.URL = a.URL
	if res := mustPut(t, db, b); res[0] != (store.PutResult{ID: id, Outcome: store.Updated}) {
		t.Errorf("got %+v, want updated %s", res[0], id)
	}
	// The same title and time at another URL is another story.
	c := art("Corrected title", "Other body.", day.Add(time.Hour))
	c.URL = "https://example.com/other"
	if res := mustPut(t, db, c); res[0].Outcome != store.Added || res[0].ID == id {
		t.Errorf("got %+v, want a new story", res[0])
	}
}

func TestPutIsAtomic(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustPut(t, db, art("Kept", "Kept body.", day))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Put(cctx, []article.Article{art("Lost", "Lost body.", day)}); err == nil {
		t.Fatal("put with a cancelled context succeeded")
	}
	if n, _ := db.Count(ctx); n != 1 {
		t.Errorf("count: got %d, want 1", n)
	}
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

func TestSearchRanking(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	res := mustPut(t, db,
		art("Council approves new bus lanes", "The council voted for bus lanes on the high street.", day),
		art("Officer shot in Brixton forgives gunman", "The shooting in Brixton happened in 1994.", day),
		art("Market day", "Brixton market was busy. A shooting star was seen.", day),
	)
	tests := []struct {
		q     string
		first string
		n     int
	}{
		{"Brixton shooting", res[1].ID, 2},
		{"brixton shot", res[1].ID, 1},    // stemmed: shooting/shot differ, but "shot" is in the title
		{"bus lane", res[0].ID, 1},        // stemming: lane/lanes
		{"the of and", "", 2},             // only common words: searched as they are (any of them)
		{"\"unbalanced AND (", "", 0},     // query syntax is never passed through
		{"brixton zebra", res[1].ID, 2},   // no story has both: any word
		{"Ünïcode BRIXTON", res[1].ID, 2}, // case and diacritics folded
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			hits, err := db.Search(ctx, tt.q, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != tt.n {
				t.Fatalf("got %d hits, want %d", len(hits), tt.n)
			}
			if tt.first != "" && hits[0].ID != tt.first {
				t.Errorf("first: got %q, want %q", hits[0].Title, tt.first)
			}
		})
	}
}

func TestTitles(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	var as []article.Article
	for i := range 30 {
		as = append(as, art(fmt.Sprintf("Story %02d about Brixton", i), fmt.Sprintf("Body %d.", i), day.Add(time.Duration(i)*time.Hour)))
	}
	as = append(as, art("Brixton market reopens", "Body.", day))
	mustPut(t, db, as...)

	got, err := db.Titles(ctx, "", 25)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 25 || got[0].Title != "Story 29 about Brixton" {
		t.Errorf("empty prefix: got %d titles, first %+v; want 25, newest first", len(got), got[0])
	}
	got, _ = db.Titles(ctx, "BRIX", 3)
	if len(got) != 3 || got[0].Title != "Brixton market reopens" {
		t.Errorf("prefix: got %+v; want the title that starts with it first", got)
	}
	got, _ = db.Titles(ctx, "story 1", 25)
	if len(got) != 10 {
		t.Errorf("prefix 'story 1': got %d titles, want 10", len(got))
	}
	got, _ = db.Titles(ctx, "about brix", 25)
	if len(got) != 25 {
		t.Errorf("word prefix: got %d titles, want 25", len(got))
	}
	if got, _ := db.Titles(ctx, "zzz", 25); len(got) != 0 {
		t.Errorf("no match: got %v", got)
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

func TestSearchCommonWords(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	var as []article.Article
	for i := range 400 {
		body := fmt.Sprintf("The council met on day %d.", i)
		if i%50 == 0 {
			body += " A flood closed the high street."
		}
		as = append(as, art(fmt.Sprintf("Council news %d", i), body, day.Add(time.Duration(i)*time.Hour)))
	}
	res := mustPut(t, db, as...)

	// "council" is in every story: it is dropped, and "flood" decides.
	hits, err := db.Search(ctx, "council flood", 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 8 {
		t.Fatalf("council flood: got %d hits, want the 8 flood stories", len(hits))
	}
	for _, h := range hits {
		if !strings.Contains(h.Body, "flood") {
			t.Errorf("hit without flood: %q", h.Body)
		}
	}
	// A query of common words alone lists the newest stories that have them.
	hits, err = db.Search(ctx, "council", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 3 || hits[0].ID != res[399].ID || hits[2].ID != res[397].ID {
		t.Errorf("council: got %d hits starting %v, want the 3 newest", len(hits), hits)
	}
}
