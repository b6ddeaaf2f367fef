package feed

import (
	"context"
	"log/slog"
	"time"
)

// LockKey is the lock the replicas sharing a database take to read the
// feeds.
const LockKey = "storybot/feeds-poller"

// Defaults for Leader.
const (
	DefaultLockCheck = 30 * time.Second // how often the holder checks it still has the lock
	DefaultLockRetry = time.Minute      // the wait after a failure to take the lock
)

// Locker is a store shared by replicas that can hold a lock among them for
// long. *postgres.DB is one.
type Locker interface {
	// HoldKey waits until it holds key and returns a context that ends
	// when the lock is lost (checked every every) or unlock is called.
	HoldKey(ctx context.Context, key string, every time.Duration) (held context.Context, unlock func(), err error)
}

// Leader runs the feeds in one of the replicas sharing a Locker at a time:
// the others wait, and one takes over when the holder stops or loses its
// lock.
type Leader struct {
	Locker Locker
	Key    string        // default LockKey
	Check  time.Duration // default DefaultLockCheck
	Retry  time.Duration // default DefaultLockRetry
	Log    *slog.Logger  // default slog.Default()
}

// Run calls run each time this process takes the lock, with a context that
// ends when the lock is lost, until ctx ends. Give each call a new Poller:
// it first settles the posts the last holder left half sent.
func (l Leader) Run(ctx context.Context, run func(ctx context.Context)) {
	for {
		held, unlock, ok := l.Acquire(ctx)
		if !ok {
			return
		}
		run(held)
		unlock()
		if ctx.Err() != nil {
			return
		}
		l.log().Warn("lost the feeds lock (its database session ended); waiting to take it again")
	}
}

// Acquire waits until this process holds the lock, trying again every
// Retry while taking it fails, and returns a context that ends when the
// lock is lost. It reports false when ctx ended first.
func (l Leader) Acquire(ctx context.Context) (held context.Context, unlock func(), ok bool) {
	key, check, retry := l.Key, l.Check, l.Retry
	if key == "" {
		key = LockKey
	}
	if check <= 0 {
		check = DefaultLockCheck
	}
	if retry <= 0 {
		retry = DefaultLockRetry
	}
	for waiting := false; ; waiting = true {
		held, unlock, err := l.Locker.HoldKey(ctx, key, check)
		if err == nil {
			if waiting {
				l.log().Info("this replica reads the feeds now")
			}
			return held, unlock, true
		}
		if ctx.Err() != nil {
			return nil, nil, false
		}
		l.log().Warn("take the feeds lock; trying again later", "err", err, "retry", retry)
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, false
		case <-t.C:
		}
	}
}

func (l Leader) log() *slog.Logger {
	if l.Log == nil {
		return slog.Default()
	}
	return l.Log
}
