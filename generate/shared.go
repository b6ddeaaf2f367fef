package generate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/singleflight"
)

// sharedCall runs call once for every concurrent caller with the same key
// in g, detached from ctx's cancellation (a caller that gives up does not
// fail the others) but bounded by deadline, and waits for it at most
// deadline. ok is false when the wait ran out, on deadline or on ctx's own;
// err is non-nil only when ctx was canceled.
func sharedCall[T any](ctx context.Context, g *singleflight.Group, key string, deadline time.Duration, call func(context.Context) T) (v T, ok bool, err error) {
	ch := g.DoChan(key, func() (any, error) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deadline)
		defer cancel()
		return call(cctx), nil
	})
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	select {
	case res := <-ch:
		return res.Val.(T), true, nil
	case <-timer.C:
		return v, false, nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.Canceled) {
			return v, false, ctx.Err()
		}
		return v, false, nil
	}
}

// lockShared takes key's lock among processes when cache is a KeyLocker,
// before a model call whose answer will be cached under key. locked reports
// that the lock is held: read the cache again before calling the model,
// since another process may have written it meanwhile. Call unlock when the
// answer is stored (a no-op when nothing was locked). The error is non-nil
// only when ctx ended while waiting, that is, another process has been
// asking the model for as long as this call may take: fall back as on a
// timeout. A lock that fails otherwise is logged and the call goes on
// without it.
func lockShared(ctx context.Context, cache Cache, key string, log *slog.Logger) (locked bool, unlock func(), err error) {
	l, ok := cache.(KeyLocker)
	if !ok {
		return false, func() {}, nil
	}
	unlock, err = l.LockKey(ctx, key)
	switch {
	case err == nil:
		return true, unlock, nil
	case ctx.Err() != nil:
		return false, func() {}, fmt.Errorf("wait for another process's model call: %w", err)
	}
	log.Warn("cache key lock failed; asking the model without it", "err", err)
	return false, func() {}, nil
}
