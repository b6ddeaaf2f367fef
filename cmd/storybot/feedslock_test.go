package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/storybot/storybot/internal/pgtest"
	"github.com/storybot/storybot/store/postgres"
)

// Replicas sharing a PostgreSQL database: one reads the feeds at a time,
// and another takes over when it stops.
func TestOneReplicaReadsFeeds(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	var dbs [2]*postgres.DB
	for i := range dbs {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	log := slog.New(slog.DiscardHandler)
	unlock, ok := leadFeeds(ctx, dbs[0], log)
	if !ok {
		t.Fatal("the first replica did not get the feeds lock")
	}
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, ok := leadFeeds(wctx, dbs[1], log); ok {
		t.Fatal("the second replica got the feeds lock while the first held it")
	}
	got := make(chan bool, 1)
	go func() {
		u, ok := leadFeeds(ctx, dbs[1], log)
		if ok {
			u()
		}
		got <- ok
	}()
	unlock()
	if !<-got {
		t.Error("the second replica did not take over when the first let go")
	}
}
