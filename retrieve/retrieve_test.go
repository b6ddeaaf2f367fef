package retrieve_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/ingest"
	"github.com/storybot/storybot/internal/shared"
	"github.com/storybot/storybot/retrieve"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/sqlite"
)

var _ retrieve.Index = (*sqlite.DB)(nil)

func open(t *testing.T, as ...article.Article) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Put(context.Background(), as); err != nil {
		t.Fatal(err)
	}
	return db
}

var day = time.Date(2026, 11, 2, 18, 0, 0, 0, time.UTC)

func long(topic string, n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("Sentence " + string(rune('A'+i)) + " is about the " + topic + " and nothing else. ")
	}
	return b.String()
}

func TestDiversity(t *testing.T) {
	db := open(t,
		article.Article{Title: "Flood one", Body: long("flood", 12), Published: day},
		article.Article{Title: "Flood two", Body: long("flood", 12), Published: day.Add(time.Hour)},
		article.Article{Title: "Bakery", Body: "The bakery sold bread. " + long("bread", 3), Published: day},
	)
	r, err := retrieve.Retrieve(context.Background(), db, "what about the flood?", retrieve.Options{Passages: 5, PerStory: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Passages) != 4 || len(r.Sources) != 2 {
		t.Fatalf("got %d passages from %d stories, want 4 from 2 (two a story)", len(r.Passages), len(r.Sources))
	}
	per := map[string][]retrieve.Passage{}
	for _, p := range r.Passages {
		if r.Sources[p.Source-1].ID != p.StoryID {
			t.Errorf("passage of %s cites source %d (%s)", p.StoryID, p.Source, r.Sources[p.Source-1].ID)
		}
		for _, q := range per[p.StoryID] {
			if p.First < q.First+len(q.Sentences) && q.First < p.First+len(p.Sentences) {
				t.Errorf("passages at %d and %d of %s overlap", p.First, q.First, p.StoryID)
			}
		}
		per[p.StoryID] = append(per[p.StoryID], p)
	}
	if r.Coverage != 1 {
		t.Errorf("got coverage %v, want 1", r.Coverage)
	}
}

func TestStoryFilter(t *testing.T) {
	db := open(t,
		article.Article{Title: "Flood", Body: long("flood", 4), Published: day},
		article.Article{Title: "Bakery", Body: "The bakery sold bread after the flood.", Published: day},
	)
	s, err := db.Search(context.Background(), "bakery", 1)
	if err != nil || len(s) != 1 {
		t.Fatal(s, err)
	}
	r, err := retrieve.Retrieve(context.Background(), db, "what about the flood?", retrieve.Options{Story: &s[0].Story})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sources) != 1 || r.Sources[0].Title != "Bakery" {
		t.Errorf("got sources %v, want only the bakery story", r.Sources)
	}
}

func TestNothingToFind(t *testing.T) {
	db := open(t, article.Article{Title: "Flood", Body: long("flood", 4), Published: day})
	for _, q := range []string{"?", "what is it?", "zebra giraffe", "Who is he?", "Why?", "What was it about?"} {
		r, err := retrieve.Retrieve(context.Background(), db, q, retrieve.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Passages) != 0 || r.Coverage != 0 {
			t.Errorf("%q: got %d passages, coverage %v, want none", q, len(r.Passages), r.Coverage)
		}
	}
}

func TestNames(t *testing.T) {
	r, err := retrieve.Retrieve(context.Background(), open(t), "Did the Bank of England and Tour de France's riders meet Star Wars fans, said Joe?", retrieve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"bank of england", "tour de france", "star wars"}
	if !slices.Equal(r.Names, want) {
		t.Errorf("got names %q, want %q", r.Names, want)
	}
}

// The Tonbridge question of issue 6, over the shared articles.
func TestTonbridge(t *testing.T) {
	dir := shared.Path(t, "data", "articles")
	db := open(t)
	if _, err := ingest.Run(context.Background(), db, []string{dir}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	r, err := retrieve.Retrieve(context.Background(), db, "why did the officer forgive the man who shot him?", retrieve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sources) == 0 || !strings.Contains(r.Sources[0].Title, "Tonbridge") {
		t.Fatalf("got sources %v, want the Tonbridge story first", r.Sources)
	}
}

// A word the index ignores does not count against coverage.
type ignoring struct{ retrieve.Index }

func (i ignoring) DocFreq(ctx context.Context, terms []string) (store.DocFreq, error) {
	df, err := i.Index.DocFreq(ctx, terms)
	df.Ignored = map[string]bool{"against": true}
	return df, err
}

func TestIgnoredWords(t *testing.T) {
	db := open(t, article.Article{Title: "Flood", Body: long("flood", 4), Published: day})
	r, err := retrieve.Retrieve(context.Background(), ignoring{db}, "what against the flood?", retrieve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Coverage != 1 {
		t.Errorf("got coverage %v, want 1: the ignored word left out", r.Coverage)
	}
}
