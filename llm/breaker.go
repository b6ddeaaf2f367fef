package llm

import (
	"sync"
	"time"
)

// State is a circuit breaker's state.
type State int

// The breaker's states.
const (
	Closed   State = iota // calls go through
	Open                  // calls fail at once with BreakerOpen until the cool-down ends
	HalfOpen              // the cool-down is over: one probe call goes through, the rest fail at once
)

func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	}
	return "unknown"
}

// maxRetryAfter caps a server's Retry-After, so a wild value cannot keep the
// breaker open for hours; a probe after the cap finds out again.
const maxRetryAfter = 15 * time.Minute

// breaker is a consecutive-failure circuit breaker. It is safe for
// concurrent use.
type breaker struct {
	threshold int
	cooldown  time.Duration
	now       func() time.Time
	onChange  func(from, to State, failures int) // called with mu held; must not call back

	mu       sync.Mutex
	state    State
	failures int       // consecutive failures while closed
	until    time.Time // while open: when a probe may go
	probing  bool      // while half-open: the probe is in flight
}

// allow reports whether a call may go now. When it may not, wait is how long
// until a probe will be let through (0 while another probe is in flight).
// A caller that was allowed must call done exactly once.
func (b *breaker) allow() (ok bool, wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case Closed:
		return true, 0
	case Open:
		now := b.now()
		if now.Before(b.until) {
			return false, b.until.Sub(now)
		}
		b.set(HalfOpen)
		fallthrough
	default: // HalfOpen
		if b.probing {
			return false, 0
		}
		b.probing = true
		return true, 0
	}
}

// done records the outcome of an allowed call. counted is false for an
// outcome that says nothing about the model's health (the caller canceled);
// retryAfter is the server's requested wait, if any.
func (b *breaker) done(failed, counted bool, retryAfter time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == HalfOpen && b.probing {
		b.probing = false
		switch {
		case !counted:
			// Stay half-open: the next call probes instead.
		case failed:
			b.open(max(b.cooldown, capRetryAfter(retryAfter)))
		default:
			b.failures = 0
			b.set(Closed)
		}
		return
	}
	if b.state != Closed || !counted {
		return // a late reply from before the breaker opened
	}
	if !failed {
		b.failures = 0
		return
	}
	b.failures++
	switch ra := capRetryAfter(retryAfter); {
	case b.failures >= b.threshold:
		b.open(max(b.cooldown, ra))
	case ra > 0:
		// A server that says when to come back is believed at once,
		// for as long as it asked.
		b.open(ra)
	}
}

// open opens the breaker for wait.
func (b *breaker) open(wait time.Duration) {
	b.until = b.now().Add(wait)
	b.set(Open)
}

func capRetryAfter(d time.Duration) time.Duration {
	return min(max(d, 0), maxRetryAfter)
}

func (b *breaker) set(s State) {
	if s == b.state {
		return
	}
	from := b.state
	b.state = s
	if b.onChange != nil {
		b.onChange(from, s, b.failures)
	}
}

// snapshot returns the state, as of now (an open breaker whose cool-down has
// passed reports HalfOpen), and the count of consecutive failures.
func (b *breaker) snapshot() (State, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == Open && !b.now().Before(b.until) {
		return HalfOpen, b.failures
	}
	return b.state, b.failures
}
