package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/store"
)

func TestFeedState(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	const u = "https://example.com/feed.xml"
	got, err := db.FeedState(ctx, u)
	if err != nil || !cmp.Equal(got, store.FeedState{URL: u}) {
		t.Fatalf("unknown feed: got %+v, %v; want a zero state", got, err)
	}
	now := time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)
	for _, want := range []store.FeedState{
		{URL: u, Checked: now, Failures: 2, NextTry: now.Add(2 * time.Minute), LastError: "the server answered 500"},
		{URL: u, ETag: `"v1"`, LastModified: "Wed, 04 Nov 2026 11:00:00 GMT", Checked: now, OK: now},
	} {
		if err := db.PutFeedState(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := db.FeedState(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("state (-want +got):\n%s", diff)
		}
	}
}

func TestFeedItemsAndPosts(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	res := mustPut(t, db,
		article.Article{Title: "A", Body: "Text a.", URL: "https://example.com/a", Published: time.Unix(1e9, 0)},
		article.Article{Title: "B", Body: "Text b.", Published: time.Unix(1e9, 0)})
	a, b := res[0].ID, res[1].ID
	if id, err := db.StoryIDByURL(ctx, "https://example.com/a"); id != a || err != nil {
		t.Errorf("by URL: got %q, %v; want %q", id, err, a)
	}
	if _, err := db.StoryIDByURL(ctx, "https://example.com/none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown URL: got %v, want ErrNotFound", err)
	}
	if _, err := db.StoryIDByURL(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("empty URL: got %v, want ErrNotFound", err)
	}

	upd := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	items := []store.FeedItem{{GUID: "g-a", StoryID: a, Updated: upd}, {GUID: "g-b", StoryID: b}}
	if err := db.PutFeedItems(ctx, "f1", items, []string{"c1", "c2"}); err != nil {
		t.Fatal(err)
	}
	// The same stories through another feed are not queued twice.
	if err := db.PutFeedItems(ctx, "f2", items[:1], []string{"c1"}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := db.FeedItem(ctx, "f1", "g-a")
	if err != nil || !ok || !cmp.Equal(got, items[0]) {
		t.Errorf("got %+v %v %v, want %+v", got, ok, err, items[0])
	}
	if _, ok, err := db.FeedItem(ctx, "f2", "g-b"); ok || err != nil {
		t.Errorf("unknown entry: got %v, %v", ok, err)
	}

	pending, err := db.PendingPosts(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range pending {
		keys = append(keys, p.Channel+"/"+p.StoryID)
	}
	if want := []string{"c1/" + a, "c2/" + a, "c1/" + b, "c2/" + b}; !cmp.Equal(keys, want) {
		t.Errorf("pending: got %v, want %v (queue order)", keys, want)
	}

	// Claiming is a compare-and-set: only one sender gets a post.
	if ok, err := db.ClaimPost(ctx, "c1", a); !ok || err != nil {
		t.Fatalf("claim: got %v, %v", ok, err)
	}
	if ok, _ := db.ClaimPost(ctx, "c1", a); ok {
		t.Error("claimed a post twice")
	}
	if err := db.EndPost(ctx, "c1", a, store.PostSent, "m1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := db.ClaimPost(ctx, "c1", a); ok {
		t.Error("claimed a sent post")
	}
	db.ClaimPost(ctx, "c2", a)
	db.EndPost(ctx, "c2", a, store.PostPending, "discord said no") // tried again later
	db.ClaimPost(ctx, "c1", b)                                     // left sending: storybot stopped
	abandoned, err := db.AbandonPosts(ctx)
	if err != nil || len(abandoned) != 1 || abandoned[0].StoryID != b || abandoned[0].State != store.PostUnsure || abandoned[0].Attempts != 1 {
		t.Errorf("abandoned: got %+v, %v; want c1/%s unsure", abandoned, err, b)
	}
	pending, _ = db.PendingPosts(ctx, 10)
	if len(pending) != 2 || pending[0].Channel != "c2" || pending[0].StoryID != a || pending[0].Attempts != 1 || pending[0].Note != "discord said no" {
		t.Errorf("pending after: got %+v", pending)
	}
}

func TestFeedTablesMigrateOldDatabase(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	if _, err := db.db.ExecContext(ctx, "DROP TABLE feeds; DROP TABLE feed_items; DROP TABLE posts; ALTER TABLE summaries DROP COLUMN answered; ALTER TABLE summaries DROP COLUMN cited; PRAGMA user_version = 2"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PutFeedState(ctx, store.FeedState{URL: "u"}); err != nil {
		t.Errorf("after migration: %v", err)
	}
}
