package bot

import (
	"sync"
	"time"
)

// userLimiter is a token bucket per user: burst commands at once, then one
// more every every.
type userLimiter struct {
	burst int
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]bucket
	checks  int
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newUserLimiter(burst int, every time.Duration, now func() time.Time) *userLimiter {
	return &userLimiter{burst: burst, every: every, now: now, buckets: map[string]bucket{}}
}

// allow takes a token for user; when there is none it reports when the next
// one comes.
func (l *userLimiter) allow(user string) (ok bool, retry time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.checks++
	if l.checks%1024 == 0 {
		l.prune(now)
	}
	b, found := l.buckets[user]
	if !found {
		b = bucket{tokens: float64(l.burst), at: now}
	}
	b.tokens += float64(now.Sub(b.at)) / float64(l.every)
	if b.tokens > float64(l.burst) {
		b.tokens = float64(l.burst)
	}
	b.at = now
	if b.tokens < 1 {
		l.buckets[user] = b
		return false, now.Add(time.Duration((1 - b.tokens) * float64(l.every)))
	}
	b.tokens--
	l.buckets[user] = b
	return true, time.Time{}
}

// prune forgets users whose bucket is full again.
func (l *userLimiter) prune(now time.Time) {
	full := time.Duration(l.burst) * l.every
	for u, b := range l.buckets {
		if now.Sub(b.at) > full {
			delete(l.buckets, u)
		}
	}
}
