package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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
	_, unlock, ok := Leader{Locker: dbs[0], Log: log}.Acquire(ctx)
	if !ok {
		t.Fatal("the first replica did not get the feeds lock")
	}
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, _, ok := (Leader{Locker: dbs[1], Log: log}).Acquire(wctx); ok {
		t.Fatal("the second replica got the feeds lock while the first held it")
	}
	got := make(chan bool, 1)
	go func() {
		_, u, ok := Leader{Locker: dbs[1], Log: log}.Acquire(ctx)
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
	held, unlock, err := dbs[0].HoldKey(ctx, LockKey, 20*time.Millisecond)
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
	id := postgres.LockID(LockKey)
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
	held2, unlock2, err := dbs[1].HoldKey(ctx, LockKey, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock2()
	if held2.Err() != nil {
		t.Error("the other replica's lock ended at once")
	}
}

// fakeLocker fails its first fails calls, then hands out locks that the
// test ends by closing lost.
type fakeLocker struct {
	mu    sync.Mutex
	fails int
	calls int
	lost  chan context.CancelFunc
}

func (f *fakeLocker) HoldKey(ctx context.Context, key string, every time.Duration) (context.Context, func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if key != LockKey || every != DefaultLockCheck {
		return nil, nil, fmt.Errorf("got key %q every %v, want %q every %v", key, every, LockKey, DefaultLockCheck)
	}
	if f.calls <= f.fails {
		return nil, nil, errors.New("the database is down")
	}
	held, cancel := context.WithCancel(ctx)
	f.lost <- cancel
	return held, cancel, nil
}

// Leader.Run retries a failing lock, runs the poller once per term, starts
// again when the lock is lost, and returns when its context ends.
func TestLeaderRun(t *testing.T) {
	f := &fakeLocker{fails: 2, lost: make(chan context.CancelFunc, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	terms := make(chan int)
	done := make(chan struct{})
	go func() {
		defer close(done)
		n := 0
		Leader{Locker: f, Retry: time.Millisecond, Log: slog.New(slog.DiscardHandler)}.Run(ctx, func(held context.Context) {
			n++
			terms <- n
			<-held.Done()
		})
	}()
	for want := 1; want <= 2; want++ {
		select {
		case got := <-terms:
			if got != want {
				t.Fatalf("got term %d, want %d", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("term %d never started", want)
		}
		lose := <-f.lost
		if want == 1 {
			lose() // the lock is lost: a new term starts
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return when its context ended")
	}
	if f.calls != f.fails+2 {
		t.Errorf("got %d calls to HoldKey, want %d", f.calls, f.fails+2)
	}
}

// Acquire gives up when its context ends while taking the lock fails.
func TestLeaderAcquireCanceled(t *testing.T) {
	f := &fakeLocker{fails: 1 << 30}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, ok := (Leader{Locker: f, Retry: time.Millisecond, Log: slog.New(slog.DiscardHandler)}).Acquire(ctx); ok {
		t.Error("got the lock, want none")
	}
	if f.calls < 2 {
		t.Errorf("got %d calls to HoldKey, want it tried again", f.calls)
	}
}
