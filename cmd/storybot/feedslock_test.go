package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storybot/storybot/internal/pgtest"
	"github.com/storybot/storybot/store/postgres"
)

func twoReplicas(t *testing.T) ([2]*postgres.DB, string) {
	t.Helper()
	url := pgtest.URL(t)
	var dbs [2]*postgres.DB
	for i := range dbs {
		db, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs, url
}

// Replicas sharing a PostgreSQL database: one reads the feeds at a time,
// and another takes over when it stops.
func TestOneReplicaReadsFeeds(t *testing.T) {
	dbs, _ := twoReplicas(t)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	_, unlock, ok := leadFeeds(ctx, dbs[0], log)
	if !ok {
		t.Fatal("the first replica did not get the feeds lock")
	}
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, _, ok := leadFeeds(wctx, dbs[1], log); ok {
		t.Fatal("the second replica got the feeds lock while the first held it")
	}
	got := make(chan bool, 1)
	go func() {
		_, u, ok := leadFeeds(ctx, dbs[1], log)
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

// A holder whose lock session ends (a server restart, an idle timeout)
// learns it, so it stops reading the feeds another replica now reads.
func TestFeedsLockLost(t *testing.T) {
	dbs, url := twoReplicas(t)
	ctx := context.Background()
	held, unlock, err := dbs[0].HoldKey(ctx, feedsLockKey, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	// End the holder's session, as a server restart would.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	id := postgres.LockID(feedsLockKey)
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND classid = $1 AND objid = $2`,
		uint32(uint64(id)>>32), uint32(id)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminate the lock's session: %d sessions, %v", n, err)
	}
	select {
	case <-held.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the holder did not notice it lost the lock")
	}
	held2, unlock2, err := dbs[1].HoldKey(ctx, feedsLockKey, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock2()
	if held2.Err() != nil {
		t.Error("the other replica's lock ended at once")
	}
}
