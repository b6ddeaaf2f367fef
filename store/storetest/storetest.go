// Package storetest holds the behaviour every story store must have, as
// tests that run against any backend: store/sqlite and store/postgres both
// call Run from their own tests, so the two cannot drift apart. What only
// one backend does (SQLite's backups and stop-word searches, PostgreSQL's
// key locks) is tested in that backend's package.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"github.com/google/go-cmp/cmp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/store"
)

// Store is what every backend offers the rest of storybot.
type Store interface {
	Put(ctx context.Context, as []article.Article) ([]store.PutResult, error)
	Get(ctx context.Context, id string) (store.Story, error)
	Count(ctx context.Context) (int, error)
	Latest(ctx context.Context, limit int) ([]store.Title, error)
	Titles(ctx context.Context, prefix string, limit int) ([]store.Title, error)
	Search(ctx context.Context, query string, limit int) ([]store.Hit, error)
	CachedSummary(ctx context.Context, key string) (store.Summary, bool, error)
	PutSummary(ctx context.Context, key string, s store.Summary) error
	Ping(ctx context.Context) error
	Close() error

	// Retrieval for /ask (package retrieve).
	SearchAny(ctx context.Context, terms []string, limit int) ([]store.Hit, error)
	DocFreq(ctx context.Context, terms []string) (store.DocFreq, error)

	// Feeds (package feed).
	StoryIDByURL(ctx context.Context, url string) (string, error)
	FeedState(ctx context.Context, url string) (store.FeedState, error)
	PutFeedState(ctx context.Context, s store.FeedState) error
	FeedItem(ctx context.Context, feed, guid string) (store.FeedItem, bool, error)
	PutFeedItems(ctx context.Context, feed string, items []store.FeedItem, channels []string) error
	PendingPosts(ctx context.Context, limit int) ([]store.Post, error)
	ClaimPost(ctx context.Context, channel, storyID string) (bool, error)
	EndPost(ctx context.Context, channel, storyID string, state store.PostState, note string) error
	AbandonPosts(ctx context.Context) ([]store.Post, error)
}

// Run runs the shared tests, each as a subtest on a new, empty store from
// open. open fails the test when it cannot make one, and closes the store
// when the test ends (Close may already have been called).
func Run(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		test func(t *testing.T, db Store)
	}{
		{"PutGetAndOutcomes", testPutGetAndOutcomes},
		{"PutByURL", testPutByURL},
		{"PutSameStoryTwiceInOneBatch", testPutTwiceInOneBatch},
		{"PutIsAtomic", testPutIsAtomic},
		{"Latest", testLatest},
		{"Titles", testTitles},
		{"SearchRanking", testSearchRanking},
		{"SearchCommonWords", testSearchCommonWords},
		{"SummaryCache", testSummaryCache},
		{"SummaryCacheConcurrent", testSummaryCacheConcurrent},
		{"Ping", testPing},
		{"SearchAny", testSearchAny},
		{"DocFreq", testDocFreq},
		{"FeedState", testFeedState},
		{"FeedItemsAndPosts", testFeedItemsAndPosts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

// Day is the publication time the tests' articles start from.
var Day = time.Date(2020, 8, 18, 15, 59, 0, 0, time.UTC)

// Art returns an article with the given title, body and publication time.
func Art(title, body string, published time.Time) article.Article {
	return article.Article{Title: title, Body: body, Published: published, Source: "test"}
}

// MustPut puts as in one batch and fails the test on error.
func MustPut(t testing.TB, db interface {
	Put(context.Context, []article.Article) ([]store.PutResult, error)
}, as ...article.Article) []store.PutResult {
	t.Helper()
	res, err := db.Put(context.Background(), as)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func testPutGetAndOutcomes(t *testing.T, db Store) {
	ctx := context.Background()
	a := Art("Officer forgives man who shot him", "An officer from Tonbridge forgave the man.\nThey met again.", Day)
	a.Author, a.Updated = "Katie Heslop", Day.Add(88*time.Minute)

	res := MustPut(t, db, a)
	if res[0].Outcome != store.Added || res[0].ID != store.NewID(a)[0] {
		t.Fatalf("first put: got %+v, want added as %s", res[0], store.NewID(a)[0])
	}
	id := res[0].ID

	got, err := db.Get(ctx, " "+strings.ToUpper(id)+" ")
	if err != nil {
		t.Fatal(err)
	}
	if got.Article != a || got.ID != id || got.Hash != a.ContentHash() {
		t.Errorf("get: got %+v\nwant %+v", got, a)
	}
	if got.Ingested.IsZero() || !got.Changed.Equal(got.Ingested) {
		t.Errorf("get: ingested %v, changed %v; want both set and equal", got.Ingested, got.Changed)
	}

	if res := MustPut(t, db, a); res[0] != (store.PutResult{ID: id, Outcome: store.Unchanged}) {
		t.Errorf("same again: got %+v, want unchanged %s", res[0], id)
	}
	// Sub-second precision is not stored: the same time to the second is no change.
	frac := a
	frac.Published = a.Published.Add(300 * time.Millisecond)
	if res := MustPut(t, db, frac); res[0] != (store.PutResult{ID: id, Outcome: store.Unchanged}) {
		t.Errorf("same to the second: got %+v, want unchanged %s", res[0], id)
	}

	// Same title and time, new body: an update in place that keeps the ID.
	b := a
	b.Body = "An officer from Tonbridge forgave the man who shot him in Brixton."
	if res := MustPut(t, db, b); res[0] != (store.PutResult{ID: id, Outcome: store.Updated}) {
		t.Errorf("changed: got %+v, want updated %s", res[0], id)
	}
	if got, _ := db.Get(ctx, id); got.Body != b.Body || got.Hash != b.ContentHash() {
		t.Errorf("after update: body %q", got.Body)
	}
	if hits, _ := db.Search(ctx, "brixton", 5); len(hits) != 1 || hits[0].ID != id {
		t.Errorf("search after update: got %v", hits)
	}
	if hits, _ := db.Search(ctx, "met again", 5); len(hits) != 0 {
		t.Errorf("old text still indexed: %v", hits)
	}

	// A new author alone is an update too.
	c := b
	c.Author = "Another Author"
	if res := MustPut(t, db, c); res[0] != (store.PutResult{ID: id, Outcome: store.Updated}) {
		t.Errorf("new author: got %+v, want updated %s", res[0], id)
	}

	// The same text under another identity (another time, no URL) is a duplicate.
	d := c
	d.Published = Day.Add(time.Hour)
	d.Updated = time.Time{}
	if res := MustPut(t, db, d); res[0] != (store.PutResult{ID: id, Outcome: store.Duplicate}) {
		t.Errorf("duplicate: got %+v", res[0])
	}
	if n, err := db.Count(ctx); err != nil || n != 1 {
		t.Errorf("count: got %d (err %v), want 1", n, err)
	}

	for _, missing := range []string{"nope", "", "bad\x00id", "\xff\xfe"} {
		if _, err := db.Get(ctx, missing); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get %q: got %v, want ErrNotFound", missing, err)
		}
	}
}

func testPutByURL(t *testing.T, db Store) {
	ctx := context.Background()
	a := Art("First title", "Body one.", Day)
	a.URL = "https://example.com/story"
	id := MustPut(t, db, a)[0].ID
	if id != store.NewID(a)[0] {
		t.Errorf("ID: got %s, want %s (from the URL)", id, store.NewID(a)[0])
	}
	// A new title and time at the same URL is the same story, updated.
	b := Art("Corrected title", "Body one, corrected.", Day.Add(time.Hour))
	b.URL = a.URL
	if res := MustPut(t, db, b); res[0] != (store.PutResult{ID: id, Outcome: store.Updated}) {
		t.Errorf("got %+v, want updated %s", res[0], id)
	}
	// The same title and time without a URL is that story too, and keeps its URL.
	c := b
	c.URL, c.Body = "", "Body one, corrected twice."
	if res := MustPut(t, db, c); res[0] != (store.PutResult{ID: id, Outcome: store.Updated}) {
		t.Errorf("no URL: got %+v, want updated %s", res[0], id)
	}
	if got, _ := db.Get(ctx, id); got.URL != a.URL || got.Body != c.Body {
		t.Errorf("after an update without a URL: got URL %q body %q, want %q %q", got.URL, got.Body, a.URL, c.Body)
	}
	// The same title and time at another URL is another story.
	d := Art("Corrected title", "Other body.", Day.Add(time.Hour))
	d.URL = "https://example.com/other"
	if res := MustPut(t, db, d); res[0].Outcome != store.Added || res[0].ID == id {
		t.Errorf("got %+v, want a new story", res[0])
	}
}

func testPutTwiceInOneBatch(t *testing.T, db Store) {
	a := Art("Twice", "Read from two files.", Day)
	b := a
	b.Body = "Read from two files, the second one newer."
	res := MustPut(t, db, a, a, b)
	id := store.NewID(a)[0]
	want := []store.PutResult{{ID: id, Outcome: store.Added}, {ID: id, Outcome: store.Unchanged}, {ID: id, Outcome: store.Updated}}
	if !slices.Equal(res, want) {
		t.Errorf("got %+v, want %+v", res, want)
	}
}

func testPutIsAtomic(t *testing.T, db Store) {
	ctx := context.Background()
	MustPut(t, db, Art("Kept", "Kept body.", Day))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Put(cctx, []article.Article{Art("Lost", "Lost body.", Day)}); err == nil {
		t.Fatal("put with a cancelled context succeeded")
	}
	if n, _ := db.Count(ctx); n != 1 {
		t.Errorf("count: got %d, want 1", n)
	}
}

func testLatest(t *testing.T, db Store) {
	ctx := context.Background()
	if ts, err := db.Latest(ctx, 5); err != nil || len(ts) != 0 {
		t.Errorf("empty store: got %v, %v; want nothing", ts, err)
	}
	res := MustPut(t, db,
		Art("Middle", "Body m.", Day),
		Art("Newest", "Body n.", Day.Add(time.Hour)),
		Art("Oldest", "Body o.", Day.Add(-time.Hour)),
		Art("Middle too", "Body m2.", Day), // the same time: added later, listed first
	)
	ts, err := db.Latest(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tt := range ts {
		got = append(got, tt.ID)
	}
	want := []string{res[1].ID, res[3].ID, res[0].ID}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if len(ts) > 0 && (!ts[0].Published.Equal(Day.Add(time.Hour)) || ts[0].Title != "Newest") {
		t.Errorf("first: got %+v, want Newest at %v", ts[0], Day.Add(time.Hour))
	}
}

func testTitles(t *testing.T, db Store) {
	ctx := context.Background()
	var as []article.Article
	for i := range 30 {
		as = append(as, Art(fmt.Sprintf("Story %02d about Brixton", i), fmt.Sprintf("Body %d.", i), Day.Add(time.Duration(i)*time.Hour)))
	}
	as = append(as, Art("Brixton market reopens", "Body.", Day))
	MustPut(t, db, as...)

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
	if got, err := db.Titles(ctx, "zzz", 25); err != nil || len(got) != 0 {
		t.Errorf("no match: got %v, %v", got, err)
	}
	for _, typed := range []string{`'":*&|!() \`, "brix\x00ton", "brix\xff"} {
		if got, err := db.Titles(ctx, typed, 25); err != nil {
			t.Errorf("%q: got %v, %v; want no error", typed, got, err)
		}
	}
}

func testSearchRanking(t *testing.T, db Store) {
	ctx := context.Background()
	res := MustPut(t, db,
		Art("Council approves new bus lanes", "The council voted for bus lanes on the high street.", Day),
		Art("Officer shot in Brixton forgives gunman", "The shooting in Brixton happened in 1994.", Day),
		Art("Market day", "Brixton market was busy. A shooting star was seen.", Day),
	)
	tests := []struct {
		q     string
		first string
		n     int
	}{
		{"Brixton shooting", res[1].ID, 2},
		{"brixton shot", res[1].ID, 1},        // stemmed: shooting/shot differ, but "shot" is in the title
		{"bus lane", res[0].ID, 1},            // stemming: lane/lanes
		{"\"unbalanced AND (", "", 0},         // query syntax is never passed through
		{"zebra' | 'brixton:*", res[1].ID, 2}, // nor is PostgreSQL's
		{"brixton zebra", res[1].ID, 2},       // no story has both: any word
		{"Ünïcode BRIXTON", res[1].ID, 2},     // case folded
		{"1994", res[1].ID, 1},
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
			for i, h := range hits {
				if i > 0 && h.Score < hits[i-1].Score {
					t.Errorf("hit %d scores %v, better than the hit before it (%v): want best (lowest) first", i, h.Score, hits[i-1].Score)
				}
				if h.Snippet == "" || h.Body == "" {
					t.Errorf("hit %d: snippet %q, body %q; want both", i, h.Snippet, h.Body)
				}
			}
		})
	}
	if hits, err := db.Search(ctx, "brixton", 1); err != nil || len(hits) != 1 {
		t.Errorf("limit 1: got %d hits (err %v), want 1", len(hits), err)
	}
}

func testSearchCommonWords(t *testing.T, db Store) {
	ctx := context.Background()
	var as []article.Article
	for i := range 400 {
		body := fmt.Sprintf("The council met on day %d.", i)
		if i%50 == 0 {
			body += " A flood closed the high street."
		}
		as = append(as, Art(fmt.Sprintf("Council news %d", i), body, Day.Add(time.Duration(i)*time.Hour)))
	}
	res := MustPut(t, db, as...)

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

func testSummaryCache(t *testing.T, db Store) {
	ctx := context.Background()
	if _, ok, err := db.CachedSummary(ctx, "k1"); ok || err != nil {
		t.Fatalf("empty cache: got ok=%v err=%v, want a miss", ok, err)
	}
	want := store.Summary{Text: "Homes approved.", Model: "mock", Answered: true, PromptTokens: 120, CompletionTokens: 4, Created: Day}
	if err := db.PutSummary(ctx, "k1", want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := db.CachedSummary(ctx, "k1")
	if err != nil || !ok {
		t.Fatalf("got ok=%v err=%v, want a hit", ok, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cached record (-want +got):\n%s", diff)
	}
	if _, ok, _ := db.CachedSummary(ctx, "k2"); ok {
		t.Errorf("k2: got a hit, want a miss")
	}

	// Put replaces.
	// An answer's record: whether it answers and what it cites survive.
	repl := store.Summary{Text: "Homes approved after a debate [1][3].", Model: "mock-2", Answered: true, Cited: []int{1, 3}, Created: Day.Add(time.Hour)}
	if err := db.PutSummary(ctx, "k1", repl); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := db.CachedSummary(ctx, "k1"); !cmp.Equal(got, repl) {
		t.Errorf("after replace (-want +got):\n%s", cmp.Diff(repl, got))
	}
	refusal := store.Summary{Text: "The stored stories don't say.", Model: "mock", Answered: false, Created: Day}
	if err := db.PutSummary(ctx, "k4", refusal); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := db.CachedSummary(ctx, "k4"); !cmp.Equal(got, refusal) {
		t.Errorf("refusal (-want +got):\n%s", cmp.Diff(refusal, got))
	}

	// A zero Created is stored as the time of the put, in whole seconds.
	before := time.Now().Truncate(time.Second)
	if err := db.PutSummary(ctx, "k3", store.Summary{Text: "t", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	if got, _, _ := db.CachedSummary(ctx, "k3"); got.Created.Before(before) || got.Created.After(after) {
		t.Errorf("zero Created: got %v, want the time of the put (%v to %v)", got.Created, before, after)
	}

	if err := db.PutSummary(ctx, "", repl); err == nil {
		t.Errorf("empty key: got no error, want one")
	}
}

func testSummaryCacheConcurrent(t *testing.T, db Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Go(func() {
			key := fmt.Sprintf("k%d", i%5)
			if err := db.PutSummary(ctx, key, store.Summary{Text: "t", Model: "m"}); err != nil {
				errs <- err
			}
			if _, ok, err := db.CachedSummary(ctx, key); err != nil || !ok {
				errs <- fmt.Errorf("read %s back: ok=%v err=%v", key, ok, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testPing(t *testing.T, db Store) {
	ctx := context.Background()
	if err := db.Ping(ctx); err != nil {
		t.Errorf("empty store: got %v, want nil", err)
	}
	MustPut(t, db, Art("Pinged", "Body.", Day))
	if err := db.Ping(ctx); err != nil {
		t.Errorf("a store with a story: got %v, want nil", err)
	}
	db.Close()
	if err := db.Ping(ctx); err == nil {
		t.Errorf("closed store: got nil, want an error")
	}
}

func testSearchAny(t *testing.T, db Store) {
	ctx := context.Background()
	res := MustPut(t, db,
		Art("Council approves new bus lanes", "The council voted for bus lanes on the high street.", Day),
		Art("Officer shot in Brixton forgives gunman", "The shooting in Brixton happened in 1994.", Day),
		Art("Market day", "Brixton market was busy. A shooting star was seen.", Day),
	)
	// Any word will do, even when one story has them all.
	hits, err := db.SearchAny(ctx, []string{"brixton", "council"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 3 {
		t.Errorf("got %d hits, want all 3 stories", len(hits))
	}
	hits, err = db.SearchAny(ctx, []string{"shooting", "Brixton"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || hits[0].ID != res[1].ID {
		t.Errorf("got %v, want 2 hits, %s first", hits, res[1].ID)
	}
	if hits, err := db.SearchAny(ctx, []string{"!!"}, 10); err != nil || len(hits) != 0 {
		t.Errorf("no words: got %v, %v; want nothing", hits, err)
	}
}

func testDocFreq(t *testing.T, db Store) {
	ctx := context.Background()
	if df, err := db.DocFreq(ctx, []string{"flood"}); err != nil || df.Stories != 0 || df.Counts["flood"] != 0 {
		t.Errorf("empty store: got %+v, %v; want no stories", df, err)
	}
	var as []article.Article
	for i := range 30 {
		body := fmt.Sprintf("The council met on day %d.", i)
		if i%10 == 0 {
			body += " A flood closed the high street."
		}
		as = append(as, Art(fmt.Sprintf("Council news %d", i), body, Day.Add(time.Duration(i)*time.Hour)))
	}
	MustPut(t, db, as...)
	df, err := db.DocFreq(ctx, []string{"Council", "floods", "zebra", "council"})
	if err != nil {
		t.Fatal(err)
	}
	want := store.DocFreq{Stories: 30, Counts: map[string]int{"council": 30, "floods": 3, "zebra": 0}}
	if df.Stories != want.Stories || len(df.Counts) != len(want.Counts) {
		t.Fatalf("got %+v, want %+v", df, want)
	}
	for w, n := range want.Counts {
		if df.Counts[w] != n {
			t.Errorf("%s: got %d stories, want %d (stemmed: floods finds flood)", w, df.Counts[w], n)
		}
	}
}

func testFeedState(t *testing.T, db Store) {
	ctx := context.Background()
	const url = "https://example.com/feed.xml"
	if s, err := db.FeedState(ctx, url); err != nil || s != (store.FeedState{URL: url}) {
		t.Errorf("never read: got %+v, %v; want a zero state", s, err)
	}
	want := store.FeedState{URL: url, ETag: `"abc"`, LastModified: "Tue, 18 Aug 2020 15:59:00 GMT",
		Checked: Day, OK: Day.Add(-time.Hour), Failures: 2, NextTry: Day.Add(time.Minute), LastError: "HTTP 503"}
	if err := db.PutFeedState(ctx, want); err != nil {
		t.Fatal(err)
	}
	if got, err := db.FeedState(ctx, url); err != nil || got != want {
		t.Errorf("got %+v, %v\nwant %+v", got, err, want)
	}
	want = store.FeedState{URL: url, Checked: Day.Add(time.Hour), OK: Day.Add(time.Hour)} // replaced, times cleared
	if err := db.PutFeedState(ctx, want); err != nil {
		t.Fatal(err)
	}
	if got, err := db.FeedState(ctx, url); err != nil || got != want {
		t.Errorf("after replace: got %+v, %v\nwant %+v", got, err, want)
	}
	// A server's bytes in an error (PostgreSQL refuses NUL and invalid
	// UTF-8 in text): the failure is still recorded.
	bad := store.FeedState{URL: url, Checked: Day, Failures: 1, NextTry: Day.Add(time.Minute), LastError: "the server answered 503 \x00\xff"}
	if err := db.PutFeedState(ctx, bad); err != nil {
		t.Errorf("error with NUL and invalid UTF-8: %v", err)
	}
	if got, err := db.FeedState(ctx, url); err != nil || got.Failures != 1 || !strings.HasPrefix(got.LastError, "the server answered 503") {
		t.Errorf("error with NUL and invalid UTF-8: got %+v, %v; want the failure recorded", got, err)
	}

	a := Art("From a feed", "Body.", Day)
	a.URL = "https://example.com/story"
	id := MustPut(t, db, a)[0].ID
	if got, err := db.StoryIDByURL(ctx, a.URL); err != nil || got != id {
		t.Errorf("by URL: got %q, %v; want %s", got, err, id)
	}
	for _, u := range []string{"https://example.com/none", ""} {
		if _, err := db.StoryIDByURL(ctx, u); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("by URL %q: got %v, want ErrNotFound", u, err)
		}
	}
}

func testFeedItemsAndPosts(t *testing.T, db Store) {
	ctx := context.Background()
	const feed = "https://example.com/feed.xml"
	if _, ok, err := db.FeedItem(ctx, feed, "g1"); ok || err != nil {
		t.Errorf("unknown entry: got ok=%v, %v; want none", ok, err)
	}
	items := []store.FeedItem{{GUID: "g1", StoryID: "s1", Updated: Day}, {GUID: "g2", StoryID: "s2"}}
	if err := db.PutFeedItems(ctx, feed, items, []string{"c1", "c2"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range items {
		if got, ok, err := db.FeedItem(ctx, feed, want.GUID); err != nil || !ok || got != want {
			t.Errorf("entry %s: got %+v ok=%v, %v; want %+v", want.GUID, got, ok, err, want)
		}
	}
	if _, ok, _ := db.FeedItem(ctx, "https://other.example/feed", "g1"); ok {
		t.Errorf("another feed's entry: got one, want none")
	}
	// A GUID made of a feed's bytes: stored and found again.
	odd := store.FeedItem{GUID: "title\x00\xff 2026", StoryID: "s9"}
	if err := db.PutFeedItems(ctx, feed, []store.FeedItem{odd}, nil); err != nil {
		t.Errorf("GUID with NUL and invalid UTF-8: %v", err)
	} else if _, ok, err := db.FeedItem(ctx, feed, odd.GUID); !ok || err != nil {
		t.Errorf("GUID with NUL and invalid UTF-8: got ok=%v, %v; want the entry", ok, err)
	}
	// The same story again is not queued twice; an updated entry is recorded.
	items[0].Updated = Day.Add(time.Hour)
	if err := db.PutFeedItems(ctx, feed, items[:1], []string{"c1"}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := db.FeedItem(ctx, feed, "g1"); got != items[0] {
		t.Errorf("updated entry: got %+v, want %+v", got, items[0])
	}

	posts, err := db.PendingPosts(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range posts {
		got = append(got, p.Channel+"/"+p.StoryID+"/"+string(p.State))
		if p.Attempts != 0 || p.Queued.IsZero() {
			t.Errorf("post %+v: want no attempts and a queued time", p)
		}
	}
	if want := []string{"c1/s1/pending", "c2/s1/pending", "c1/s2/pending", "c2/s2/pending"}; !slices.Equal(got, want) {
		t.Errorf("pending: got %v, want %v (queue order)", got, want)
	}
	if ps, _ := db.PendingPosts(ctx, 1); len(ps) != 1 {
		t.Errorf("limit 1: got %d posts", len(ps))
	}

	claim := func(ch, id string, want bool) {
		t.Helper()
		if ok, err := db.ClaimPost(ctx, ch, id); err != nil || ok != want {
			t.Errorf("claim %s/%s: got %v, %v; want %v", ch, id, ok, err, want)
		}
	}
	claim("c1", "s1", true)
	claim("c1", "s1", false) // already sending
	claim("c9", "s1", false) // no such post
	if err := db.EndPost(ctx, "c1", "s1", store.PostSent, "m123"); err != nil {
		t.Fatal(err)
	}
	claim("c1", "s1", false) // sent
	claim("c2", "s1", true)
	if err := db.EndPost(ctx, "c2", "s1", store.PostPending, "HTTP 500"); err != nil { // to try again
		t.Fatal(err)
	}
	claim("c2", "s1", true)
	claim("c1", "s2", true)
	if err := db.EndPost(ctx, "c1", "s2", store.PostFailed, "gave up"); err != nil {
		t.Fatal(err)
	}
	// A post that is not sending (here failed, or never queued) is not
	// changed, and the caller is told: the outcome is not lost silently.
	for _, p := range [][2]string{{"c1", "s2"}, {"c9", "s1"}} {
		if err := db.EndPost(ctx, p[0], p[1], store.PostSent, "m456"); !errors.Is(err, store.ErrPostNotSending) {
			t.Errorf("end post %s/%s, not sending: got %v, want ErrPostNotSending", p[0], p[1], err)
		}
	}

	// c2/s1 is left sending, as by a process that stopped mid-send.
	abandoned, err := db.AbandonPosts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(abandoned) != 1 || abandoned[0].Channel != "c2" || abandoned[0].StoryID != "s1" || abandoned[0].Attempts != 2 || abandoned[0].Note != "HTTP 500" {
		t.Errorf("abandoned: got %+v, want c2/s1 after 2 attempts", abandoned)
	}
	posts, _ = db.PendingPosts(ctx, 10)
	if len(posts) != 1 || posts[0].Channel != "c2" || posts[0].StoryID != "s2" {
		t.Errorf("pending at the end: got %+v, want only c2/s2", posts)
	}
	claim("c2", "s1", false) // unsure: never sent again
}
